-- Rollback of 20261126030100_create_control_plane_tables.

drop table public.run_events;
drop table public.run_transitions;
drop table public.run_attempts;
drop table public.runs;
drop table public.executors;
drop table public.pipeline_specs;
drop table public.workspace_members;
drop table public.workspaces;
drop function private.seconds_setting(jsonb, interval);
drop function private.spec_hash(jsonb);
drop function private.canonical_json(jsonb);
