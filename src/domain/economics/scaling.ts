// Compute-optimal sizing (Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models",
// "Chinchilla"): from a compute budget the parameter count N and tokens D that minimise the loss,
// and for a given model whether its token budget is under- or over-trained. Pure: no Fastify, no I/O.
//
// Three estimates side by side, because they disagree and a planner should see by how much:
//  - the rule of thumb D ≈ 20·N (Hoffmann et al. 2022, Table 3 / Chinchilla 70B on 1.4T tokens);
//  - the approach-3 parametric law L(N, D) = E + A/N^α + B/D^β as published (Sec. 3.3 / App. D.2:
//    E = 1.69, A = 406.4, B = 410.7, α = 0.34, β = 0.28);
//  - the same law refitted by Besiroglu et al. 2024 ("Chinchilla Scaling: A replication attempt",
//    Epoch AI), whose estimates agree with Hoffmann's approaches 1 and 2 (~20 tokens per parameter).
// Compute is C ≈ 6·N·D model FLOPs (Kaplan et al. 2020 Sec. 2.1; Hoffmann et al. 2022 Sec. 3).

export interface ScalingLaw {
  id: 'hoffmann2022' | 'besiroglu2024';
  name: string;
  /** irreducible loss (nats per token) */
  E: number;
  A: number;
  B: number;
  alpha: number;
  beta: number;
  source: string;
}

/** Hoffmann et al. 2022 Sec. 3.3 and App. D.2 (approach 3), the values printed in the paper. */
export const HOFFMANN_2022_LAW: Readonly<ScalingLaw> = Object.freeze({
  id: 'hoffmann2022',
  name: 'Hoffmann et al. 2022, approach 3 (as published)',
  E: 1.69,
  A: 406.4,
  B: 410.7,
  alpha: 0.34,
  beta: 0.28,
  source: 'Hoffmann et al. 2022 (arXiv 2203.15556) Sec. 3.3 / App. D.2: E=1.69, A=406.4, B=410.7, α=0.34, β=0.28',
});

/** Besiroglu et al. 2024 (arXiv 2404.10102) refit of approach 3 on the reconstructed data. */
export const BESIROGLU_2024_LAW: Readonly<ScalingLaw> = Object.freeze({
  id: 'besiroglu2024',
  name: 'Besiroglu et al. 2024 (Epoch AI) refit of approach 3',
  E: 1.8172,
  A: 482.01,
  B: 2085.43,
  alpha: 0.3478,
  beta: 0.3658,
  source: 'Besiroglu, Erdil, Barnett, You 2024, "Chinchilla Scaling: A replication attempt" (arXiv 2404.10102): E=1.8172, A=482.01, B=2085.43, α=0.3478, β=0.3658',
});

export const SCALING_LAWS: readonly Readonly<ScalingLaw>[] = [HOFFMANN_2022_LAW, BESIROGLU_2024_LAW];

/** Hoffmann et al. 2022: Chinchilla 70B on 1.4T tokens, ~20 tokens per parameter (Table 3 rule of thumb). */
export const CHINCHILLA_TOKENS_PER_PARAMETER = 20;
/** C = 6·N·D: forward 2·N + backward 4·N FLOPs per token (Kaplan et al. 2020 Sec. 2.1). */
export const FLOPS_PER_PARAMETER_TOKEN = 6;
/**
 * A token budget within this factor of the law's optimum for the same compute counts as compute-optimal:
 * near the optimum the isoFLOP curve is flat (Hoffmann et al. 2022 Fig. 3); at 1.5× either way, at
 * Chinchilla's compute, both approach-3 fits lose about 0.002 nats (~1% of the reducible loss).
 * A presentation choice, said in the answer.
 */
export const COMPUTE_OPTIMAL_BAND = 1.5;

/** Predicted loss L(N, D) = E + A/N^α + B/D^β (Hoffmann et al. 2022 Eq. 2). */
export function predictedLoss(law: ScalingLaw, parameters: number, tokens: number): number {
  return law.E + law.A / parameters ** law.alpha + law.B / tokens ** law.beta;
}

/** Exponents and constant of the efficient frontier: G = (αA/(βB))^(1/(α+β)), a = β/(α+β), b = α/(α+β) (Hoffmann et al. 2022 Eq. 4). */
export function frontierConstants(law: ScalingLaw): { G: number; a: number; b: number } {
  const s = law.alpha + law.beta;
  return { G: ((law.alpha * law.A) / (law.beta * law.B)) ** (1 / s), a: law.beta / s, b: law.alpha / s };
}

/** N_opt(C) = G·(C/6)^a, D_opt(C) = G⁻¹·(C/6)^b (Hoffmann et al. 2022 Eq. 4). */
export function optimalAllocation(law: ScalingLaw, computeFlops: number): { parameters: number; tokens: number } {
  const { G, a, b } = frontierConstants(law);
  const c6 = computeFlops / FLOPS_PER_PARAMETER_TOKEN;
  return { parameters: G * c6 ** a, tokens: c6 ** b / G };
}

/** The rule of thumb: C = 6·N·(20·N) = 120·N² → N = √(C/120), D = 20·N. */
export function ruleOfThumbAllocation(computeFlops: number, tokensPerParameter = CHINCHILLA_TOKENS_PER_PARAMETER): { parameters: number; tokens: number } {
  const parameters = Math.sqrt(computeFlops / (FLOPS_PER_PARAMETER_TOKEN * tokensPerParameter));
  return { parameters, tokens: tokensPerParameter * parameters };
}

/** Compute at which N is the law's optimum: invert N = G·(C/6)^a → C = 6·(N/G)^(1/a). */
export function computeForOptimalParameters(law: ScalingLaw, parameters: number): number {
  const { G, a } = frontierConstants(law);
  return FLOPS_PER_PARAMETER_TOKEN * (parameters / G) ** (1 / a);
}

/** Training compute C = GPUs × seconds × peak × MFU (PaLM App. B definition of MFU, inverted). */
export function computeFromCluster(gpus: number, days: number, peakFlopsPerSecond: number, mfu: number): number {
  return gpus * days * 86_400 * peakFlopsPerSecond * mfu;
}

export interface LawAllocation {
  law: ScalingLaw['id'];
  name: string;
  parameters: number;
  tokens: number;
  tokensPerParameter: number;
  /** the law's predicted loss at (parameters, tokens), nats per token */
  loss: number;
  source: string;
}

export interface ComputeOptimal {
  computeFlops: number;
  ruleOfThumb: { parameters: number; tokens: number; tokensPerParameter: number; loss: number };
  laws: LawAllocation[];
}

/** Compute-optimal N and D for a compute budget, every estimate side by side. */
export function computeOptimal(computeFlops: number): ComputeOptimal {
  if (!(Number.isFinite(computeFlops) && computeFlops > 0)) throw new RangeError(`computeFlops must be a finite number > 0, got ${computeFlops}`);
  const rule = ruleOfThumbAllocation(computeFlops);
  return {
    computeFlops,
    ruleOfThumb: { ...rule, tokensPerParameter: CHINCHILLA_TOKENS_PER_PARAMETER, loss: predictedLoss(HOFFMANN_2022_LAW, rule.parameters, rule.tokens) },
    laws: SCALING_LAWS.map((law) => {
      const o = optimalAllocation(law, computeFlops);
      return {
        law: law.id,
        name: law.name,
        parameters: o.parameters,
        tokens: o.tokens,
        tokensPerParameter: o.tokens / o.parameters,
        loss: predictedLoss(law, o.parameters, o.tokens),
        source: law.source,
      };
    }),
  };
}

export type TrainingVerdict = 'under-trained' | 'compute-optimal' | 'over-trained';

/** under-trained when D is below the optimum / band, over-trained when above optimum × band. */
export function verdictFor(tokens: number, optimalTokens: number, band = COMPUTE_OPTIMAL_BAND): TrainingVerdict {
  if (tokens < optimalTokens / band) return 'under-trained';
  if (tokens > optimalTokens * band) return 'over-trained';
  return 'compute-optimal';
}

export interface ModelAssessment {
  parameters: number;
  tokens: number;
  computeFlops: number;
  tokensPerParameter: number;
  /** tokensPerParameter / 20 */
  ruleOfThumbRatio: number;
  ruleOfThumbVerdict: TrainingVerdict;
  laws: (LawAllocation & {
    /** the optimum for the same compute 6·N·D */
    verdict: TrainingVerdict;
    /** tokens / the optimum's tokens at the same compute */
    tokensRatio: number;
    /** loss of (N, D) − loss of the optimum at the same compute: what the allocation costs */
    excessLoss: number;
    /** the model's loss by this law */
    modelLoss: number;
  })[];
  /** compute-optimal tokens for this N by the rule of thumb (20·N) */
  optimalTokensByRule: number;
  explanation: string;
}

/** Is this (N, D) under- or over-trained? Compared with the optimum for the same compute C = 6·N·D. */
export function assessModel(parameters: number, tokens: number): ModelAssessment {
  const C = FLOPS_PER_PARAMETER_TOKEN * parameters * tokens;
  const r = tokens / parameters;
  const ruleVerdict = verdictFor(tokens, CHINCHILLA_TOKENS_PER_PARAMETER * parameters);
  const laws = SCALING_LAWS.map((law) => {
    const o = optimalAllocation(law, C);
    const optimumLoss = predictedLoss(law, o.parameters, o.tokens);
    const modelLoss = predictedLoss(law, parameters, tokens);
    return {
      law: law.id,
      name: law.name,
      parameters: o.parameters,
      tokens: o.tokens,
      tokensPerParameter: o.tokens / o.parameters,
      loss: optimumLoss,
      source: law.source,
      verdict: verdictFor(tokens, o.tokens),
      tokensRatio: tokens / o.tokens,
      excessLoss: Math.max(0, modelLoss - optimumLoss),
      modelLoss,
    };
  });
  const explanation =
    `${r.toFixed(1)} tokens per parameter (rule of thumb: ${CHINCHILLA_TOKENS_PER_PARAMETER}): ${ruleVerdict}. ` +
    (ruleVerdict === 'over-trained'
      ? 'Training past the compute-optimal point is often deliberate: a smaller model that is cheaper to serve (e.g. Llama 3 8B on 15T tokens).'
      : ruleVerdict === 'under-trained'
        ? `For the same compute a smaller model on more tokens would reach a lower loss; ${(CHINCHILLA_TOKENS_PER_PARAMETER * parameters).toExponential(2)} tokens would make this size compute-optimal.`
        : `Within ${COMPUTE_OPTIMAL_BAND}× of the compute-optimal allocation.`);
  return {
    parameters,
    tokens,
    computeFlops: C,
    tokensPerParameter: r,
    ruleOfThumbRatio: r / CHINCHILLA_TOKENS_PER_PARAMETER,
    ruleOfThumbVerdict: ruleVerdict,
    laws,
    optimalTokensByRule: CHINCHILLA_TOKENS_PER_PARAMETER * parameters,
    explanation,
  };
}
