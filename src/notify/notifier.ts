export interface Notification {
  incidentId: string;
  severity: string;
  subject: string;
  text: string;
}

export interface Notifier {
  /** Sends the notification and returns the channel's message id. */
  send(notification: Notification): Promise<string>;
}
