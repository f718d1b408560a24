-- Rollback of 20261126030200_create_access_policies.

drop policy run_events_select_members on public.run_events;
drop policy run_transitions_select_members on public.run_transitions;
drop policy run_attempts_select_members on public.run_attempts;
drop policy runs_select_members on public.runs;
drop policy executors_select_members on public.executors;
drop policy pipeline_specs_select_members on public.pipeline_specs;
drop policy workspace_members_select_members on public.workspace_members;
drop policy workspaces_select_members on public.workspaces;

revoke execute on function private.member_workspace_ids(uuid, text) from authenticated;
revoke usage on schema private from authenticated;

drop function private.caller_actor();
drop function private.caller_is_admin();
drop function private.caller_role();
drop function private.is_member(uuid, text);
drop function private.member_workspace_ids(uuid, text);
drop function private.role_rank(text);
