// Package server is the embedded engine's OpenAI-compatible HTTP API: it
// serves one or more models, each behind its own continuous batching
// scheduler (package sched), routed by the request's "model".
//
// Routes:
//
//	POST /v1/completions       prompt: a string, a list of strings (a batch,
//	                           one choice each), token ids or lists of them
//	POST /v1/chat/completions  messages rendered with the chat template below
//	GET  /v1/models            the models with their model cards
//	GET  /health               {"status":"ok"} while the schedulers run
//	GET  /metrics              Prometheus text (muaibench_* and Go runtime)
//
// Streams speak the dialect vLLM and llama.cpp speak: one "data: {json}"
// event per token, finish_reason on the last token's event, usage in a
// final event with "choices": [] when stream_options.include_usage is set,
// then "data: [DONE]". A chat stream opens with an event whose delta holds
// only the role. Text is released per event only once it is complete
// UTF-8 and cannot be the start of a stop string, so an event may carry
// more than one token's text and a token may produce no event.
//
// Chat template: GPT-2 has none of its own, so messages are rendered as
// one "role: content" line each, followed by "assistant:" for the model to
// continue:
//
//	system: You are terse.
//	user: Hi
//	assistant:
//
// Errors are OpenAI-style {"error": {"message", "type", "code"}} with
// status 400 (bad request), 404 (unknown model or route), 413 (body too
// large), 503 (not running) or 500.
//
// Every response to a request for a model carries X-Muaibench-Weights:
// "synthetic" or the checkpoint path its weights came from.
package server
