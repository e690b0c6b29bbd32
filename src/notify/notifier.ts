export interface Notification {
  incidentId: string;
  severity: string;
  subject: string;
  text: string;
  /** The same news for chat (Amazon Q Developer in chat applications' custom notification JSON). */
  chat?: object;
}

export interface Notifier {
  /** Sends the notification and returns the channel's message id. */
  send(notification: Notification): Promise<string>;
}
