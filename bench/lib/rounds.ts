/**
 * Runs `measure` for every contender in every round, interleaved (A B C, B C A, ...): each round sees all
 * contenders under nearly the same machine load, so per-round ratios stay meaningful on a noisy machine.
 */
export async function interleave<T>(
  contenders: readonly string[],
  rounds: number,
  measure: (contender: string, round: number) => Promise<T>,
): Promise<Map<string, T[]>> {
  const results = new Map<string, T[]>(contenders.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(round + i) % contenders.length]!;
      results.get(contender)!.push(await measure(contender, round));
    }
  }
  return results;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
