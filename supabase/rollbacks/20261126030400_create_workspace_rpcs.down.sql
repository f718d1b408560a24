-- Rollback of 20261126030400_create_workspace_rpcs.

drop function public.publish_spec(uuid, text, text, jsonb);
drop function public.add_workspace_member(uuid, uuid, text);
drop function public.create_workspace(text, text, uuid);
drop function private.assert_valid_spec(text, text, jsonb);
