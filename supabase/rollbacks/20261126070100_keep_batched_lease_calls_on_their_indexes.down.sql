-- Rollback of 20261126070100_keep_batched_lease_calls_on_their_indexes: the planner's default again.

alter function public.claim_runs(uuid, integer, text, jsonb, timestamptz, boolean) reset enable_seqscan;
alter function public.complete_runs(uuid, jsonb, timestamptz) reset enable_seqscan;
