/**
 * Remembers a pure function's answers for the strings it is asked about most: detection asks the same few hundred
 * principals' ARNs millions of times in a replay. The memory is forgotten whole when it holds `max` answers, so an
 * attacker cycling through names costs a little time, never unbounded memory.
 */
export const memoise = <T>(fn: (input: string) => T, max = 10_000): ((input: string) => T) => {
  const answers = new Map<string, T>();
  return (input) => {
    const known = answers.get(input);
    if (known !== undefined || answers.has(input)) return known as T;
    if (answers.size >= max) answers.clear();
    const answer = fn(input);
    answers.set(input, answer);
    return answer;
  };
};
