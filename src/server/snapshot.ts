/**
 * A value read from the store at most once per `ttlMs`, shared by every request meanwhile (one read
 * in flight at a time). Views that many clients poll read a snapshot that is at most `ttlMs` old;
 * changes made by this server invalidate it at once.
 */
export class Snapshot<T> {
  private value: { at: number; data: T } | undefined;
  private loading: Promise<T> | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttlMs: number,
  ) {}

  async get(): Promise<T> {
    if (this.value && Date.now() - this.value.at < this.ttlMs) return this.value.data;
    this.loading ??= this.load()
      .then((data) => {
        this.value = { at: Date.now(), data };
        return data;
      })
      .finally(() => (this.loading = undefined));
    return this.loading;
  }

  invalidate(): void {
    this.value = undefined;
  }
}
