-- Why: artifacts live in the data plane (S3, write-once, SHA-256 checked), but whether an object
-- counts as the output of a run is decided here. An executor registers each object it uploaded
-- with the lease of its attempt, so a zombie's output can never be registered (fencing). The
-- record pins the object's digest and size for `controlroom artifacts verify`, which reports what
-- it re-read through record_artifact_verification. Records are write-once and unique per
-- (attempt, phase, name): a retried attempt writes under its own key prefix and registers its
-- own records, so a retry never collides with the artifacts of the attempt before it (see
-- docs/architecture.md, "Artifacts").

create function public.record_artifact_verification(
    artifact_id uuid,
    ok boolean,
    actual_sha256 text,
    actual_size bigint,
    as_of timestamptz default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(record_artifact_verification.as_of);
    v_actor text := private.caller_actor();
    v_artifact public.artifacts;
    v_matches boolean;
    v_status text;
    v_event_id bigint;
begin
    if v_actor is null then
        raise exception 'only workspace operators and the service role record artifact verifications'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Run controlroom artifacts verify as a workspace operator or with the service role.';
    end if;
    if record_artifact_verification.ok is null then
        raise exception 'ok must be true or false'
        using errcode = '22023',
        detail = 'Got null.',
        hint = 'Say whether the object was found with the registered digest and size.';
    end if;
    if record_artifact_verification.actual_sha256 !~ '^[0-9a-f]{64}$' then
        raise exception 'actual_sha256 must be 64 lower-case hex digits or null'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.quote_literal(pg_catalog.left(record_artifact_verification.actual_sha256, 80))),
        hint = 'Send the recomputed digest, or null when the object is missing.';
    end if;
    if record_artifact_verification.actual_size < 0 then
        raise exception 'actual_size must be a non-negative integer or null'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', record_artifact_verification.actual_size),
        hint = 'Send the size read back, or null when the object is missing.';
    end if;

    select a.* into v_artifact from public.artifacts as a where a.id = record_artifact_verification.artifact_id;
    if not found
        or (private.caller_role() = 'authenticated' and not private.is_member(v_artifact.workspace_id, 'viewer')) then
        raise exception 'artifact % does not exist', record_artifact_verification.artifact_id
        using errcode = 'PT404',
        detail = 'No artifact with this id is visible to the caller.',
        hint = 'Check the artifact id.';
    end if;
    if private.caller_role() = 'authenticated' and not private.is_member(v_artifact.workspace_id, 'operator') then
        raise exception 'viewers cannot record artifact verifications'
        using errcode = '42501',
        detail = 'Recording a verification needs the operator role in the workspace.',
        hint = 'Ask a workspace admin for the operator role.';
    end if;

    v_matches := coalesce(
        record_artifact_verification.actual_sha256 = v_artifact.sha256
        and record_artifact_verification.actual_size = v_artifact.size_bytes,
        false
    );
    if record_artifact_verification.ok <> v_matches then
        raise exception 'ok is %, but the actual digest and size % the record', record_artifact_verification.ok,
            case when v_matches then 'match' else 'do not match' end
        using errcode = '22023',
        detail = pg_catalog.format('Registered: sha256 %s, %s bytes. Actual: sha256 %s, %s bytes.',
            v_artifact.sha256, v_artifact.size_bytes,
            coalesce(record_artifact_verification.actual_sha256, 'none'),
            coalesce(record_artifact_verification.actual_size::text, 'none')),
        hint = 'ok is true exactly when the object was read back with the registered digest and size.';
    end if;
    v_status := case
        when v_matches then 'ok'
        when record_artifact_verification.actual_sha256 is null
            and record_artifact_verification.actual_size is null then 'missing'
        else 'mismatch'
    end;

    insert into public.run_events as e (
        run_id, attempt_id, workspace_id, source, type, level, phase, message, payload, ts
    )
    values (
        v_artifact.run_id, v_artifact.attempt_id, v_artifact.workspace_id, 'system',
        case when v_matches then 'artifact.verified' else 'artifact.verification_failed' end,
        case when v_matches then 'info' else 'error' end,
        v_artifact.phase,
        pg_catalog.format('artifact %s %s', v_artifact.name, case v_status
            when 'ok' then 'verified'
            when 'missing' then 'is missing'
            else 'does not match its record'
        end),
        pg_catalog.jsonb_build_object(
            'artifact_id', v_artifact.id,
            'name', v_artifact.name,
            'uri', v_artifact.uri,
            'status', v_status,
            'expected_sha256', v_artifact.sha256,
            'expected_size', v_artifact.size_bytes,
            'actual_sha256', record_artifact_verification.actual_sha256,
            'actual_size', record_artifact_verification.actual_size,
            'actor', v_actor
        ),
        v_as_of
    )
    returning e.id into v_event_id;

    return pg_catalog.jsonb_build_object(
        'outcome', 'recorded',
        'status', v_status,
        'ok', v_matches,
        'event_id', v_event_id,
        'artifact_id', v_artifact.id,
        'run_id', v_artifact.run_id,
        'attempt_id', v_artifact.attempt_id,
        'uri', v_artifact.uri,
        'expected_sha256', v_artifact.sha256,
        'expected_size', v_artifact.size_bytes,
        'actual_sha256', record_artifact_verification.actual_sha256,
        'actual_size', record_artifact_verification.actual_size
    );
end
$$;

comment on function public.record_artifact_verification(uuid, boolean, text, bigint, timestamptz) is
'Records what controlroom artifacts verify read back for an artifact: a run event artifact.verified (info) or artifact.verification_failed (error, status mismatch or missing) with expected and actual digest and size. ok must agree with the digests (22023). Service role or workspace operators and up.';

revoke execute on function public.record_artifact_verification(uuid, boolean, text, bigint, timestamptz)
from public, anon, authenticated;
grant execute on function public.record_artifact_verification(uuid, boolean, text, bigint, timestamptz)
to authenticated, service_role;
