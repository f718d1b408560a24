-- Rollback of 20261126030500_create_run_rpcs.

drop function public.cancel_run(uuid, text, timestamptz);
drop function public.submit_run(uuid, text, text, text, jsonb, integer, text, timestamptz);
