/**
 * Runs tasks with the same key one after another and tasks with different keys concurrently.
 * Within one process this keeps a saga's steps from racing each other into CAS conflicts
 * (replies, timers and operator actions all meet here); across processes, CAS decides.
 */
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const result = before.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
