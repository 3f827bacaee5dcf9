// Package sched is the embedded engine's continuous batching scheduler: it
// admits generation requests into a running batch over one infer.Model,
// prefills new sequences in chunks while it decodes the others (one
// Forward call per step over the whole batch), samples each sequence's
// next token with its own seeded RNG, and streams every token to its
// request as soon as it is produced.
//
// KV cache policy: a request is admitted only when the pool can hold its
// whole prompt plus max_tokens, and those blocks are reserved at admission.
// An admitted request therefore always runs to completion (no preemption);
// one that does not fit yet waits at the head of the FCFS queue, and one
// that could never fit is refused by Submit. Blocks return to the pool the
// step a request finishes or its context is cancelled.
//
// Determinism: a request's tokens depend only on the model's logits and its
// own RNG (seeded from Sampling.Seed, or from Options.Seed and the order of
// submission), never on which other requests shared its steps, so a
// batched run gives the same tokens as an unbatched one.
package sched
