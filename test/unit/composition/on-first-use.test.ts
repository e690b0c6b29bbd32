import { onFirstUse } from '../../../src/composition/on-first-use';

interface Greeter {
  greet(name: string): Promise<string>;
  count(): Promise<number>;
}

class Adapter implements Greeter {
  private greeted = 0;
  constructor(private readonly greeting: string) {}
  async greet(name: string) {
    this.greeted += 1;
    return `${this.greeting}, ${name}`;
  }
  async count() {
    return this.greeted;
  }
}

describe('an adapter made on first use', () => {
  it('is made when a method is first called, once, and its methods run on it', async () => {
    let made = 0;
    const port = onFirstUse<Greeter>({ greet: true, count: true }, async () => ((made += 1), new Adapter('hello')));
    expect(made).toBe(0);
    expect(Object.keys(port).sort()).toEqual(['count', 'greet']);
    expect(await Promise.all([port.greet('a'), port.greet('b')])).toEqual(['hello, a', 'hello, b']);
    expect(await port.count()).toBe(2);
    expect(made).toBe(1);
  });

  it("passes the adapter's failures on, and tries making it again after its making failed", async () => {
    let attempts = 0;
    const port = onFirstUse<Greeter>({ greet: true, count: true }, async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('module not loaded');
      return new Adapter('hi');
    });
    await expect(port.greet('a')).rejects.toThrow('module not loaded');
    expect(await port.greet('b')).toBe('hi, b');
    expect(attempts).toBe(2);
  });
});
