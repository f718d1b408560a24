-- Why: artifacts live in the data plane (S3, write-once, SHA-256 checked), but whether an object
-- counts as the output of a run is decided here. An executor registers each object it uploaded
-- with the lease of its attempt, so a zombie's output can never be registered (fencing). The
-- record pins the object's digest and size for `controlroom artifacts verify`, which reports what
-- it re-read through record_artifact_verification. Records are write-once and unique per
-- (attempt, phase, name): a retried attempt writes under its own key prefix and registers its
-- own records, so a retry never collides with the artifacts of the attempt before it (see
-- docs/architecture.md, "Artifacts").

create function public.register_artifact(
    lease uuid,
    phase text,
    name text,
    uri text,
    sha256 text,
    size_bytes bigint,
    content_type text default 'application/octet-stream',
    lineage jsonb default '{}'::jsonb,
    as_of timestamptz default null,
    version_id text default null,
    etag text default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(register_artifact.as_of);
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
    if pg_catalog.char_length(register_artifact.version_id) not between 1 and 1024
        or pg_catalog.char_length(register_artifact.etag) not between 1 and 1024 then
        raise exception 'version_id and etag must have 1 to 1024 characters when given'
        using errcode = '22023',
        detail = pg_catalog.format('Got a version_id of %s and an etag of %s characters.',
            coalesce(pg_catalog.char_length(register_artifact.version_id)::text, 'no'),
            coalesce(pg_catalog.char_length(register_artifact.etag)::text, 'no')),
        hint = 'Send the VersionId and ETag that S3 returned for the upload, or omit them (unversioned buckets).';
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
        lineage, created_at, version_id, etag
    )
    values (
        v_attempt.workspace_id, v_attempt.run_id, v_attempt.id, register_artifact.phase,
        register_artifact.name, register_artifact.uri, register_artifact.sha256,
        register_artifact.size_bytes, register_artifact.content_type, register_artifact.lineage, v_as_of,
        register_artifact.version_id, register_artifact.etag
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
            'content_type', v_artifact.content_type,
            'version_id', v_artifact.version_id
        ),
        v_as_of
    );
    return private.artifact_reply('accepted', v_artifact);
end
$$;

comment on function public.register_artifact(uuid, text, text, text, text, bigint, text, jsonb, timestamptz, text, text) is
'Records an object uploaded by a live attempt: uri must be s3://<bucket>/<workspace_id>/<run_id>/<attempt_no>/<phase>/<name> of the lease''s attempt, sha256 64 lower-case hex (22023 otherwise); version_id and etag, when given, are the S3 object version the upload created, which verify reads back. The same record again is a duplicate; another digest, size or uri for the same (attempt, phase, name) is 23505. Writes an artifact.registered event. Dead lease: 409 PT409.';

revoke execute on function public.register_artifact(uuid, text, text, text, text, bigint, text, jsonb, timestamptz, text, text)
from public, anon, authenticated, service_role;
grant execute on function public.register_artifact(uuid, text, text, text, text, bigint, text, jsonb, timestamptz, text, text)
to controlroom_executor;
