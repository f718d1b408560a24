-- Why: the batched lease calls look attempts up by lease token, id and run (= any(array)) and
-- must probe those indexes, never scan the table. On a young or just-purged database the queue
-- tables are nearly empty when a connection first plans these statements; PL/pgSQL keeps the
-- plan (a sequential scan is cheapest for an empty table) for the life of the pooled connection,
-- and the table grows under it until an ANALYZE invalidates it. Measured on a fresh stack,
-- 8 executors draining 20,000 runs: complete_runs took 34 ms a call instead of 6 (1,120 runs/s
-- instead of 2,748; docs/benchmarks.md). Disabling sequential scans for the duration of these two
-- calls (and the triggers they fire) keeps every plan on the indexes whatever the statistics say;
-- no statement in them wants a scan of a whole table.

alter function public.claim_runs(uuid, integer, text, jsonb, timestamptz, boolean) set enable_seqscan = off;
alter function public.complete_runs(uuid, jsonb, timestamptz) set enable_seqscan = off;
