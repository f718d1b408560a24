-- Rollback of 20261130600100_add_rerun_and_repair.sql.

set lock_timeout = '5s';
set statement_timeout = '60s';

drop function public.repair_plan(uuid, timestamptz);
drop function public.repair_run(uuid, text, text, timestamptz);
drop function public.rerun_run(uuid, text, timestamptz);
drop function private.resubmit_run(public.runs, text, text, jsonb, text, timestamptz);
drop function private.reused_outputs(public.runs, text[]);
drop function private.visible_run(uuid);
drop table public.run_lineage;
