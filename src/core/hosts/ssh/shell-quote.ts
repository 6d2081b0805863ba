/**
 * One word for a POSIX shell, whatever the text holds: single quotes take everything literally,
 * and a single quote inside is closed, escaped and reopened. Every value Hearth puts into a remote
 * command or a file a shell sources goes through here.
 */
export const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * A settings file that a shell sources as root (`set -a; . /etc/hearth/backup.env`): one
 * `NAME='value'` line per setting, so sourcing it only assigns. Values may hold anything, line
 * breaks included (single quotes keep them); names are checked, and the comment on top is kept to
 * one line, since a line break there would start a command (a server's name is typed by the user).
 */
export function shellSettingsFile(comment: string, values: Record<string, string>): string {
  const lines = Object.entries(values).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a shell variable name: ${name}`);
    return `${name}=${shellQuote(value)}`;
  });
  return `# ${comment.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')}\n${lines.join('\n')}\n`;
}
