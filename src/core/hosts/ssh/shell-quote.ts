/**
 * One word for a POSIX shell, whatever the text holds: single quotes take everything literally,
 * and a single quote inside is closed, escaped and reopened. Every value Hearth puts into a remote
 * command or a file a shell sources goes through here.
 */
export const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;
