-- Why: artifacts live in the data plane (S3, write-once, SHA-256 checked), but whether an object
-- counts as the output of a run is decided here. An executor registers each object it uploaded
-- with the lease of its attempt, so a zombie's output can never be registered (fencing). The
-- record pins the object's digest and size for `controlroom artifacts verify`, which reports what
-- it re-read through record_artifact_verification. Records are write-once and unique per
-- (attempt, phase, name): a retried attempt writes under its own key prefix and registers its
-- own records, so a retry never collides with the artifacts of the attempt before it (see
-- docs/architecture.md, "Artifacts").

-- artifacts ----------------------------------------------------------------------------------

create table public.artifacts (
    id uuid not null default pg_catalog.gen_random_uuid(),
    workspace_id uuid not null,
    run_id uuid not null,
    attempt_id uuid not null,
    phase text not null,
    name text not null,
    uri text not null,
    sha256 text not null,
    size_bytes bigint not null,
    content_type text not null default 'application/octet-stream',
    lineage jsonb not null default '{}'::jsonb,
    created_at timestamptz not null default pg_catalog.now(),
    constraint artifacts_pkey primary key (id),
    constraint artifacts_attempt_id_phase_name_key unique (attempt_id, phase, name),
    constraint artifacts_uri_key unique (uri),
    constraint artifacts_sha256_format check (sha256 ~ '^[0-9a-f]{64}$'),
    constraint artifacts_size_bytes_not_negative check (size_bytes >= 0),
    constraint artifacts_phase_format check (phase ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    constraint artifacts_name_format check (
        pg_catalog.char_length(name) <= 512
        and name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127})*$'
    ),
    constraint artifacts_uri_follows_key_layout check (
        pg_catalog.char_length(uri) <= 2048
        and pg_catalog.split_part(uri, '/', 3) ~ '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$'
        and pg_catalog.split_part(uri, '/', 6) ~ '^[1-9][0-9]{0,2}$'
        and uri = 's3://' || pg_catalog.split_part(uri, '/', 3) || '/' || workspace_id::text || '/'
        || run_id::text || '/' || pg_catalog.split_part(uri, '/', 6) || '/' || phase || '/' || name
    ),
    constraint artifacts_content_type_length check (pg_catalog.char_length(content_type) between 1 and 255),
    constraint artifacts_lineage_is_object check (pg_catalog.jsonb_typeof(lineage) = 'object'),
    constraint artifacts_lineage_size check (pg_catalog.octet_length(lineage::text) <= 65536),
    constraint artifacts_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade,
    constraint artifacts_run_id_fkey foreign key (run_id)
    references public.runs (id) on delete cascade,
    constraint artifacts_attempt_id_fkey foreign key (attempt_id)
    references public.run_attempts (id) on delete cascade
);

create index artifacts_workspace_id_idx on public.artifacts (workspace_id);
create index artifacts_run_id_idx on public.artifacts (run_id, created_at);

comment on table public.artifacts is
'Write-once records of objects that executors uploaded to the data plane (register_artifact), with the SHA-256 and size that verify checks. Unique per (attempt, phase, name) and per uri. UPDATE and DELETE raise; only the retention purge removes rows (with their run).';
comment on column public.artifacts.id is 'Artifact id (lineage inputs name it).';
comment on column public.artifacts.workspace_id is 'The run''s workspace (for RLS).';
comment on column public.artifacts.run_id is 'The run that produced it.';
comment on column public.artifacts.attempt_id is 'The attempt that produced it; its lease registered the record.';
comment on column public.artifacts.phase is 'The producing phase (a key segment: [A-Za-z0-9._-], 1-128 characters).';
comment on column public.artifacts.name is 'Name within the phase; /-separated key segments, at most 512 characters (e.g. logs/stdout.log). Unique per attempt and phase.';
comment on column public.artifacts.uri is 's3://<bucket>/<workspace_id>/<run_id>/<attempt_no>/<phase>/<name>; unique (objects are write-once).';
comment on column public.artifacts.sha256 is 'SHA-256 of the whole object, 64 lower-case hex digits, computed while uploading.';
comment on column public.artifacts.size_bytes is 'Object size in bytes.';
comment on column public.artifacts.content_type is 'MIME type of the object.';
comment on column public.artifacts.lineage is 'Lineage metadata (JSON object, at most 64 KiB): spec_hash, producing_phase, inputs [{artifact_id, sha256}], tool_versions, row_count, extra.';
comment on column public.artifacts.created_at is 'When it was registered (the as_of of register_artifact).';

-- Write-once: the same statement guard as run_events; DELETE passes only inside the purge
-- functions (controlroom.purging), where it arrives by cascade from run_attempts/runs/workspaces.
create trigger artifacts_append_only
before update or delete on public.artifacts
for each statement execute function private.reject_table_change('artifacts are write-once records.');

create trigger artifacts_no_truncate
before truncate on public.artifacts
for each statement execute function private.reject_table_change('artifacts are write-once records.');

alter table public.artifacts enable row level security;

revoke all on table public.artifacts from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.artifacts to authenticated, service_role;

create policy artifacts_select_members on public.artifacts
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

-- Helpers ------------------------------------------------------------------------------------

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

-- register_artifact --------------------------------------------------------------------------

create function public.register_artifact(
    lease uuid,
    phase text,
    name text,
    uri text,
    sha256 text,
    size_bytes bigint,
    content_type text default 'application/octet-stream',
    lineage jsonb default '{}'::jsonb,
    as_of timestamptz default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := coalesce(register_artifact.as_of, pg_catalog.now());
    v_attempt public.run_attempts;
    v_suffix text;
    v_bucket text;
    v_artifact public.artifacts;
begin
    perform private.assert_executor_role();
    if register_artifact.sha256 is null or register_artifact.sha256 !~ '^[0-9a-f]{64}$' then
        raise exception 'sha256 must be 64 lower-case hex digits'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s (%s characters).',
            pg_catalog.quote_nullable(pg_catalog.left(register_artifact.sha256, 80)),
            coalesce(pg_catalog.char_length(register_artifact.sha256)::text, 'no')),
        hint = 'Send the SHA-256 of the whole object, computed while uploading, as lower-case hex.';
    end if;
    if register_artifact.size_bytes is null or register_artifact.size_bytes < 0 then
        raise exception 'size_bytes must be a non-negative integer'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(register_artifact.size_bytes::text, 'null')),
        hint = 'Send the number of bytes uploaded.';
    end if;
    if register_artifact.phase is null or register_artifact.phase !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' then
        raise exception 'phase must be a key segment: 1-128 of [A-Za-z0-9._-], starting alphanumeric'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.quote_nullable(pg_catalog.left(register_artifact.phase, 200))),
        hint = 'Use the phase name of the spec.';
    end if;
    if register_artifact.name is null or pg_catalog.char_length(register_artifact.name) > 512
        or register_artifact.name !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127})*$' then
        raise exception 'name must be /-separated key segments of [A-Za-z0-9._-], at most 512 characters'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.quote_nullable(pg_catalog.left(register_artifact.name, 600))),
        hint = 'Each segment starts with a letter or digit, e.g. logs/stdout.log.';
    end if;
    if register_artifact.content_type is null
        or pg_catalog.char_length(register_artifact.content_type) not between 1 and 255 then
        raise exception 'content_type must have 1 to 255 characters'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.quote_nullable(pg_catalog.left(register_artifact.content_type, 300))),
        hint = 'Omit it for application/octet-stream.';
    end if;
    if pg_catalog.jsonb_typeof(register_artifact.lineage) is distinct from 'object' then
        raise exception 'lineage must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(register_artifact.lineage), 'null')),
        hint = 'Pass {} for no lineage.';
    end if;
    if pg_catalog.octet_length(register_artifact.lineage::text) > 65536 then
        raise exception 'lineage is larger than 64 KiB'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s bytes.', pg_catalog.octet_length(register_artifact.lineage::text)),
        hint = 'Keep lineage to references and counts; put bulky metadata in an artifact of its own.';
    end if;
    if register_artifact.uri is null or pg_catalog.char_length(register_artifact.uri) > 2048 then
        raise exception 'uri must be given and at most 2048 characters long'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s characters.', coalesce(pg_catalog.char_length(register_artifact.uri)::text, 'no')),
        hint = 'Send the s3:// uri of the uploaded object.';
    end if;

    v_attempt := private.lock_lease(register_artifact.lease);
    if not private.lease_is_live(v_attempt) then
        return private.reject_dead_lease(v_attempt, 'register_artifact', v_as_of);
    end if;

    -- The key is fixed by the lease: s3://<bucket>/<workspace_id>/<run_id>/<attempt_no>/<phase>/<name>.
    v_suffix := pg_catalog.format('/%s/%s/%s/%s/%s',
        v_attempt.workspace_id, v_attempt.run_id, v_attempt.attempt_no,
        register_artifact.phase, register_artifact.name);
    if pg_catalog.starts_with(register_artifact.uri, 's3://')
        and pg_catalog.char_length(register_artifact.uri) > 5 + pg_catalog.char_length(v_suffix)
        and pg_catalog.right(register_artifact.uri, pg_catalog.char_length(v_suffix)) = v_suffix then
        v_bucket := pg_catalog.substr(
            register_artifact.uri, 6,
            pg_catalog.char_length(register_artifact.uri) - 5 - pg_catalog.char_length(v_suffix)
        );
    end if;
    if v_bucket is null or v_bucket !~ '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' then
        raise exception 'uri % does not follow the key layout of this lease', register_artifact.uri
        using errcode = '22023',
        detail = pg_catalog.format('Expected s3://<bucket>%s.', v_suffix),
        hint = 'Upload to s3://<bucket>/<workspace_id>/<run_id>/<attempt_no>/<phase>/<name> of the attempt that holds the lease.';
    end if;

    -- The attempt row is locked, so concurrent registrations of one lease are serialised.
    select a.* into v_artifact
    from public.artifacts as a
    where a.attempt_id = v_attempt.id
      and a.phase = register_artifact.phase
      and a.name = register_artifact.name;
    if found then
        if v_artifact.uri = register_artifact.uri
            and v_artifact.sha256 = register_artifact.sha256
            and v_artifact.size_bytes = register_artifact.size_bytes then
            return private.artifact_reply('duplicate', v_artifact);
        elsif v_artifact.uri = register_artifact.uri then
            raise exception 'the object % is already registered with another digest or size', register_artifact.uri
            using errcode = '23505',
            detail = pg_catalog.format('Registered: sha256 %s, %s bytes. Sent: sha256 %s, %s bytes.',
                v_artifact.sha256, v_artifact.size_bytes, register_artifact.sha256, register_artifact.size_bytes),
            hint = 'Objects are write-once: never overwrite one. Check the upload; write other content under another name.';
        else
            raise exception 'artifact % of phase % is already registered for this attempt',
                register_artifact.name, register_artifact.phase
            using errcode = '23505',
            detail = pg_catalog.format('Registered as %s (sha256 %s, %s bytes).',
                v_artifact.uri, v_artifact.sha256, v_artifact.size_bytes),
            hint = 'Names are unique per attempt and phase; choose another name.';
        end if;
    end if;

    insert into public.artifacts as a (
        workspace_id, run_id, attempt_id, phase, name, uri, sha256, size_bytes, content_type,
        lineage, created_at
    )
    values (
        v_attempt.workspace_id, v_attempt.run_id, v_attempt.id, register_artifact.phase,
        register_artifact.name, register_artifact.uri, register_artifact.sha256,
        register_artifact.size_bytes, register_artifact.content_type, register_artifact.lineage, v_as_of
    )
    returning a.* into v_artifact;

    insert into public.run_events (
        run_id, attempt_id, workspace_id, source, type, level, phase, message, payload, ts
    )
    values (
        v_artifact.run_id, v_artifact.attempt_id, v_artifact.workspace_id, 'system',
        'artifact.registered', 'info', v_artifact.phase,
        pg_catalog.format('artifact %s registered (%s bytes, sha256 %s)',
            v_artifact.name, v_artifact.size_bytes, v_artifact.sha256),
        pg_catalog.jsonb_build_object(
            'artifact_id', v_artifact.id,
            'name', v_artifact.name,
            'uri', v_artifact.uri,
            'sha256', v_artifact.sha256,
            'size_bytes', v_artifact.size_bytes,
            'content_type', v_artifact.content_type
        ),
        v_as_of
    );
    return private.artifact_reply('accepted', v_artifact);
end
$$;

comment on function public.register_artifact(uuid, text, text, text, text, bigint, text, jsonb, timestamptz) is
'Records an object uploaded by a live attempt: uri must be s3://<bucket>/<workspace_id>/<run_id>/<attempt_no>/<phase>/<name> of the lease''s attempt, sha256 64 lower-case hex (22023 otherwise). The same record again is a duplicate; another digest, size or uri for the same (attempt, phase, name) is 23505. Writes an artifact.registered event. Dead lease: 409 PT409.';

-- record_artifact_verification ---------------------------------------------------------------

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
    v_as_of timestamptz := coalesce(record_artifact_verification.as_of, pg_catalog.now());
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

-- Grants: by full signature --------------------------------------------------------------------

revoke execute on function public.register_artifact(uuid, text, text, text, text, bigint, text, jsonb, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function public.register_artifact(uuid, text, text, text, text, bigint, text, jsonb, timestamptz)
to controlroom_executor;

revoke execute on function public.record_artifact_verification(uuid, boolean, text, bigint, timestamptz)
from public, anon, authenticated;
grant execute on function public.record_artifact_verification(uuid, boolean, text, bigint, timestamptz)
to authenticated, service_role;
