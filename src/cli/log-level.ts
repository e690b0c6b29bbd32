// Imported first by the CLI: a terminal wants warnings, not the INFO lines a Lambda function writes for CloudWatch.
// The logger reads its level once, when it is made (and Powertools restores that level on every invocation).
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
