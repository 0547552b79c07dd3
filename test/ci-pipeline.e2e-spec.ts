/**
 * The delivery pipeline's rules, read from the files that enforce them: `npm test` (the README's
 * and CI's test command) gates on coverage, .ci/run runs it and then `npm run test:faults`, and the GitHub workflow
 * builds the image only after the tests, pushes it only from main tagged with the commit, and pins
 * every action by commit SHA.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';

const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  steps: Step[];
  permissions?: Record<string, string>;
}

const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
const workflow = parse(read('.github/workflows/ci.yml')) as { jobs: Record<string, Job> };

describe('coverage gate', () => {
  it('npm test collects coverage and jest fails below 80 % of src/ lines', async () => {
    expect(packageJson.scripts.test).toMatch(/jest\.js .*--coverage/);
    expect(packageJson.scripts['test:cov']).toBe('npm test');
    const { default: config } = (await import(new URL('../jest.config.js', import.meta.url).href)) as {
      default: { coverageThreshold: { global: { lines: number } }; collectCoverageFrom: string[] };
    };
    expect(config.coverageThreshold.global.lines).toBeGreaterThanOrEqual(80);
    expect(config.collectCoverageFrom).toContain('src/**/*.ts');
  });

  it('.ci/run and the workflow run the README test command, npm test, then the fault suites, npm run test:faults', () => {
    expect(read('README.md')).toMatch(/^npm test\s/m);
    expect(read('README.md')).toMatch(/^npm run test:faults\s/m);
    expect(
      read('.ci/run')
        .split('\n')
        .filter((line) => /^\s*npm (test|run test)/.test(line)),
    ).toEqual(['npm test', 'npm run test:faults']);
    const testRuns = workflow.jobs.test.steps.map((step) => step.run?.trim() ?? '').filter((run) => /(^|\s)npm (test|run test:faults)$/.test(run));
    expect(testRuns.map((run) => run.split(' npm ')[1] ?? run)).toEqual(['test', 'run test:faults']);
  });

  it('npm test brings what the tests need on a fresh machine: the broker and the interop producers', () => {
    expect(packageJson.scripts.pretest).toMatch(/scripts\/ensure-rabbitmq\.sh.*scripts\/ensure-interop-tools\.sh.*npm run build/);
    expect(read('scripts/start.sh')).toMatch(/^bash scripts\/ensure-interop-tools\.sh/m);
  });
});

describe('image pipeline', () => {
  it('builds the image only after the tests passed, and pushes only from main, tagged with the commit SHA', () => {
    const image = workflow.jobs.image;
    expect([image.needs].flat()).toContain('test');
    expect(image.permissions?.packages).toBe('write');
    const build = image.steps.find((step) => step.uses?.startsWith('docker/build-push-action@'));
    expect(build?.with?.push).toBe(false);
    const pushes = image.steps.filter((step) => /docker push|push: true/.test(`${step.run ?? ''} ${step.with?.push === true ? 'push: true' : ''}`));
    expect(pushes.length).toBeGreaterThan(0);
    for (const step of [...pushes, image.steps.find((step) => step.uses?.startsWith('docker/login-action@'))!]) {
      expect(step.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
    }
    const naming = image.steps.find((step) => step.run?.includes('IMAGE='));
    expect(naming?.run).toContain('${GITHUB_SHA}');
    expect(String(build?.with?.tags)).toContain('${{ env.IMAGE }}');
  });

  it('pins every action by a full commit SHA', () => {
    const uses = Object.values(workflow.jobs).flatMap((job) => job.steps.flatMap((step) => (step.uses ? [step.uses] : [])));
    expect(uses.length).toBeGreaterThanOrEqual(5);
    expect(uses.filter((ref) => !/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/.test(ref))).toEqual([]);
  });
});
