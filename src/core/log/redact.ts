/**
 * Known secret values are registered here the moment they are generated or read from the
 * keychain, and replaced wherever text leaves core: logs, job history, error envelopes.
 */
export class Redactor {
  readonly #secrets = new Set<string>();

  /** Secrets shorter than this are too likely to match ordinary text to be replaced safely. */
  static readonly MIN_LENGTH = 6;

  register(value: string | null | undefined): void {
    if (value && value.length >= Redactor.MIN_LENGTH) this.#secrets.add(value);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) {
      if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    }
    return out;
  }
}
