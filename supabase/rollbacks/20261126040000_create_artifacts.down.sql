-- Rollback of 20261126040000_create_artifacts.

drop function public.record_artifact_verification(uuid, boolean, text, bigint, timestamptz);
drop function public.register_artifact(uuid, text, text, text, text, bigint, text, jsonb, timestamptz);
drop function private.artifact_reply(text, public.artifacts);

-- Takes its policy, triggers, indexes, constraints and grants with it.
drop table public.artifacts;
