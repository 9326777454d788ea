// Plan generators for the bench: canonical PROGRESS.json documents, deterministic (seeded), so two
// runs of the bench measure the same plans.

const DOMAINS = ['backend', 'frontend', 'testing', 'deployment', 'general'];

/** A small deterministic PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A realistic plan of `tasks` tasks for `status` / `validate`: `phases` phases, the earlier ones
 * completed, one in progress, the rest pending. Each task usually depends on the one before it in
 * its phase (chains of up to 8), often on a random task of an earlier phase, sometimes on a random
 * earlier task of its own phase; about a third declare a `file` (a string or a list), some a
 * `verify` command, a domain and a complexity.
 */
export function statusPlan(tasks, phases) {
  const rand = rng(tasks * 31 + phases);
  const perPhase = Math.ceil(tasks / phases);
  const donePhases = Math.floor(phases * 0.4);
  const out = {
    plan_id: `bench-${tasks}`,
    name: `Bench plan with ${tasks} tasks`,
    status: 'in_progress',
    completion_percentage: Math.round((donePhases / phases) * 100),
    max_parallel_agents: 4,
    test_command: 'node --test test/',
    phases: [],
  };
  let made = 0;
  const ids = []; // ids per phase
  for (let p = 0; p < phases && made < tasks; p++) {
    const phaseId = `P${p + 1}`;
    const phaseStatus = p < donePhases ? 'completed' : p === donePhases ? 'in_progress' : 'pending';
    const phase = { id: phaseId, name: `Phase ${p + 1}: ${['Foundation', 'Core', 'Features', 'Polish', 'Release'][p % 5]}`, status: phaseStatus };
    if (phaseStatus === 'completed') phase.completedAt = '2026-01-01T00:00:00.000Z';
    phase.tasks = [];
    const own = [];
    const count = Math.min(perPhase, tasks - made);
    for (let t = 0; t < count; t++) {
      const id = `${phaseId}.${t + 1}`;
      const deps = [];
      if (t % 8 !== 0) deps.push(own[t - 1]);
      if (t > 2 && rand() < 0.15) {
        const d = own[Math.floor(rand() * (t - 1))];
        if (!deps.includes(d)) deps.push(d);
      }
      if (p > 0 && rand() < 0.4) {
        const earlier = ids[Math.floor(rand() * p)];
        deps.push(earlier[Math.floor(rand() * earlier.length)]);
      }
      const domain = DOMAINS[(p + t) % DOMAINS.length];
      const task = {
        id,
        title: `Task ${id}: implement the ${domain} piece number ${t + 1}`,
        details: `Implement part ${t + 1} of phase ${p + 1}. Follow the existing patterns, keep the change small, and add a unit test for it.`,
      };
      const r = rand();
      if (r < 0.25) task.file = `src/${domain}/p${p + 1}/t${t + 1}.ts`;
      else if (r < 0.33) task.file = [`src/${domain}/p${p + 1}/t${t + 1}.ts`, `test/${domain}/p${p + 1}/t${t + 1}.test.ts`];
      task.domain = domain;
      if (rand() < 0.2) task.complexity = 'simple';
      if (deps.length > 0) task.dependencies = deps;
      if (rand() < 0.1) task.verify = `node --check src/${domain}/p${p + 1}/t${t + 1}.js`;
      const done = phaseStatus === 'completed' || (phaseStatus === 'in_progress' && t < count / 3);
      task.status = done ? 'completed' : 'pending';
      if (done) {
        task.completedAt = '2026-01-01T00:00:00.000Z';
        task.completedBy = `l2-${domain}-specialist`;
        task.attempts = 1;
      }
      phase.tasks.push(task);
      own.push(id);
      made++;
    }
    ids.push(own);
    out.phases.push(phase);
  }
  return out;
}

/**
 * A plan for the run loop: `phases` phases, each of `chains` independent chains of `chainLength`
 * tasks (chain-major order). The first task of each chain depends on the last task of the same
 * chain in the phase before. No `file`, no `verify`: the stub agent's report is all there is to check.
 */
export function runPlanDoc(name, phases, chains, chainLength) {
  const out = { plan_id: name, name: `Run bench ${name}`, status: 'pending', completion_percentage: 0, phases: [] };
  for (let p = 0; p < phases; p++) {
    const phaseId = `P${p + 1}`;
    const tasks = [];
    for (let c = 0; c < chains; c++) {
      for (let k = 0; k < chainLength; k++) {
        const n = c * chainLength + k + 1;
        const task = { id: `${phaseId}.${n}`, title: `Chain ${c + 1} step ${k + 1} of ${phaseId}`, details: 'Bench task.', domain: DOMAINS[c % DOMAINS.length] };
        if (k > 0) task.dependencies = [`${phaseId}.${n - 1}`];
        else if (p > 0) task.dependencies = [`P${p}.${c * chainLength + chainLength}`];
        task.status = 'pending';
        tasks.push(task);
      }
    }
    out.phases.push({ id: phaseId, name: `Phase ${p + 1}`, status: 'pending', tasks });
  }
  return out;
}

/** Serialised as a generator would write it: two-space JSON, trailing newline. */
export function serialize(doc) {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
