-- Why: artifacts live in the data plane (S3, write-once, SHA-256 checked), but whether an object
-- counts as the output of a run is decided here. An executor registers each object it uploaded
-- with the lease of its attempt, so a zombie's output can never be registered (fencing). The
-- record pins the object's digest and size for `controlroom artifacts verify`, which reports what
-- it re-read through record_artifact_verification. Records are write-once and unique per
-- (attempt, phase, name): a retried attempt writes under its own key prefix and registers its
-- own records, so a retry never collides with the artifacts of the attempt before it (see
-- docs/architecture.md, "Artifacts").

create function private.artifact_reply(outcome text, artifact public.artifacts)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'outcome', artifact_reply.outcome,
        'artifact_id', (artifact_reply.artifact).id,
        'run_id', (artifact_reply.artifact).run_id,
        'attempt_id', (artifact_reply.artifact).attempt_id,
        'phase', (artifact_reply.artifact).phase,
        'name', (artifact_reply.artifact).name,
        'uri', (artifact_reply.artifact).uri,
        'sha256', (artifact_reply.artifact).sha256,
        'size_bytes', (artifact_reply.artifact).size_bytes
    )
$$;

comment on function private.artifact_reply(text, public.artifacts) is
'The success body of register_artifact: outcome (accepted | duplicate) and the stored record''s ids, uri, digest and size.';
