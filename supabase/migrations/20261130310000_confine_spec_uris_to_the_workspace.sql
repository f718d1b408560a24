-- Why: a sql phase of workspace W1 with the input s3://controlroom-artifacts/<W2 id>/... read W2's
-- file and copied it into W1's output (issue 12): spec URIs were not confined to the workspace.
-- publish_spec now refuses, with 22023 naming the field and the rule, any dataset URI (inputs,
-- outputs, output, and the same under params) that does not start with
-- s3://${run.bucket}/${run.workspace}/ as written, or that has a . or .. segment, a percent escape
-- or a backslash, or that is a local path (/abs, file://): executors are shared, so the host's
-- files are no tenant's data. The spec gate checks the same rule (controlroom.specs.confine), and
-- the executor checks the rendered URIs again before any phase starts; the workspace's S3 role
-- (docs/security.md) holds even when all three are bypassed. Specs published before keep their
-- rows; the executor refuses their runs (uri_outside_workspace) if they break the rule.

set lock_timeout = '5s';
set statement_timeout = '60s';

create function private.uri_problem(uri text)
returns text
language sql
immutable
strict
parallel safe
set search_path = ''
-- The same rule as controlroom.specs.confine (the spec gate and the executor check it too): a
-- dataset lives under its workspace's folder of the run's bucket, written with the placeholders.
as $$
    select case
        when pg_catalog.left(uri_problem.uri, 36) = 's3://${run.bucket}/${run.workspace}/'
            and pg_catalog.length(uri_problem.uri) > 36
            then case
                when pg_catalog.strpos(pg_catalog.substr(uri_problem.uri, 37), '%') > 0
                    or pg_catalog.strpos(pg_catalog.substr(uri_problem.uri, 37), '\') > 0
                    then '''%'' and ''\'' are not allowed in dataset URIs (escapes could climb out of the workspace)'
                when pg_catalog.substr(uri_problem.uri, 37) ~ '(^|/)\.\.?(/|$)'
                    then '''.'' and ''..'' segments are not allowed in dataset URIs'
            end
        when pg_catalog.left(uri_problem.uri, 1) = '/' or pg_catalog.left(uri_problem.uri, 5) = 'file:'
            then 'is a local path: executors are shared, so specs may only use s3:// URIs under '
                || 's3://${run.bucket}/${run.workspace}/'
        else 'is outside the workspace: dataset URIs must start with s3://${run.bucket}/${run.workspace}/ '
            || '(the run''s bucket and workspace folder), followed by a key'
    end
$$;

comment on function private.uri_problem(text) is
'What is wrong with one dataset URI of a spec as written (null when it lies under s3://${run.bucket}/${run.workspace}/ with no ., .. or escapes).';

create function private.first_uri_problem(body jsonb)
returns text
language sql
immutable
parallel safe
set search_path = ''
-- Where a phase names a dataset: its inputs, outputs and output, and the same in its params (a
-- python phase of the lakehouse entry points declares them there). Bounded: publish_spec checks
-- the body's size and depth first, and only these five places are read.
as $$
    with phases as (
        select
            p.value as phase,
            p.ordinality - 1 as i
        from pg_catalog.jsonb_array_elements(
            case
                when pg_catalog.jsonb_typeof(first_uri_problem.body -> 'phases') = 'array'
                    then first_uri_problem.body -> 'phases'
                else '[]'::jsonb
            end
        ) with ordinality as p (value, ordinality)
    ),

    lists as (
        select
            ph.i,
            l.rank,
            l.field,
            l.items
        from phases as ph
        cross join lateral (
            values
            (1, 'inputs', ph.phase -> 'inputs'),
            (2, 'outputs', ph.phase -> 'outputs'),
            (4, 'params.inputs', ph.phase -> 'params' -> 'inputs')
        ) as l (rank, field, items)
        where pg_catalog.jsonb_typeof(l.items) = 'array'
    ),

    uris as (
        select
            ls.i,
            ls.rank,
            e.ordinality as j,
            pg_catalog.format('phases[%s].%s[%s].uri', ls.i, ls.field, e.ordinality - 1) as path,
            e.value -> 'uri' as uri
        from lists as ls
        cross join lateral pg_catalog.jsonb_array_elements(ls.items) with ordinality as e (value, ordinality)
        union all
        select
            ph.i,
            o.rank,
            0 as j,
            pg_catalog.format('phases[%s].%s.uri', ph.i, o.field) as path,
            o.output -> 'uri' as uri
        from phases as ph
        cross join lateral (
            values
            (3, 'output', ph.phase -> 'output'),
            (5, 'params.output', ph.phase -> 'params' -> 'output')
        ) as o (rank, field, output)
    )

    select pg_catalog.format('%s: %s %s', u.path, pg_catalog.to_json(u.uri #>> '{}'), private.uri_problem(u.uri #>> '{}'))
    from uris as u
    where
        pg_catalog.jsonb_typeof(u.uri) = 'string'
        and private.uri_problem(u.uri #>> '{}') is not null
    order by u.i, u.rank, u.j
    limit 1
$$;

comment on function private.first_uri_problem(jsonb) is
'The first dataset URI of a spec body outside s3://${run.bucket}/${run.workspace}/, as "<path>: <uri> <rule>"; null when every one is inside.';

create or replace function private.assert_valid_spec(name text, version text, body jsonb)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_problem text;
begin
    v_problem := case
        when assert_valid_spec.name is null
            or assert_valid_spec.name !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$'
            then 'name must be 1-128 letters, digits, dots, dashes or underscores'
        when assert_valid_spec.version is null
            or assert_valid_spec.version !~ '^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$'
            then 'version must be 1-64 letters, digits, dots, dashes, plus signs or underscores'
        when pg_catalog.jsonb_typeof(assert_valid_spec.body) is distinct from 'object'
            then 'body must be a JSON object'
        when assert_valid_spec.body ? 'name'
            and assert_valid_spec.body ->> 'name' is distinct from assert_valid_spec.name
            then 'body.name differs from name'
        when assert_valid_spec.body ? 'version'
            and assert_valid_spec.body ->> 'version' is distinct from assert_valid_spec.version
            then 'body.version differs from version'
        when assert_valid_spec.body ? 'pool'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'pool') <> 'string'
                or assert_valid_spec.body ->> 'pool' !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
            then 'body.pool must be a pool name (letters, digits, dots, dashes, underscores)'
        when assert_valid_spec.body ? 'labels'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'labels') <> 'object'
                or exists (
                    select
                    from pg_catalog.jsonb_each(assert_valid_spec.body -> 'labels') as l
                    where pg_catalog.jsonb_typeof(l.value) <> 'string'
                ))
            then 'body.labels must be an object of strings'
        when assert_valid_spec.body ? 'retries'
            and pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries') <> 'object'
            then 'body.retries must be an object'
        when assert_valid_spec.body -> 'retries' ? 'max_attempts'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries' -> 'max_attempts') <> 'number'
                or assert_valid_spec.body -> 'retries' ->> 'max_attempts' !~ '^[0-9]{1,3}$'
                or (assert_valid_spec.body -> 'retries' ->> 'max_attempts')::integer not between 1 and 100)
            then 'body.retries.max_attempts must be an integer from 1 to 100'
        when assert_valid_spec.body -> 'retries' ? 'base_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries' -> 'base_seconds') <> 'number'
                or (assert_valid_spec.body -> 'retries' ->> 'base_seconds')::numeric < 0)
            then 'body.retries.base_seconds must be a number of at least 0'
        when assert_valid_spec.body -> 'retries' ? 'max_backoff_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries' -> 'max_backoff_seconds') <> 'number'
                or (assert_valid_spec.body -> 'retries' ->> 'max_backoff_seconds')::numeric < 0)
            then 'body.retries.max_backoff_seconds must be a number of at least 0'
        when assert_valid_spec.body -> 'retries' ? 'jitter_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries' -> 'jitter_seconds') <> 'number'
                or (assert_valid_spec.body -> 'retries' ->> 'jitter_seconds')::numeric < 0)
            then 'body.retries.jitter_seconds must be a number of at least 0'
        when assert_valid_spec.body ? 'heartbeat_tolerance_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'heartbeat_tolerance_seconds') <> 'number'
                or (assert_valid_spec.body ->> 'heartbeat_tolerance_seconds')::numeric < 30)
            then 'body.heartbeat_tolerance_seconds must be a number of at least 30'
        when assert_valid_spec.body ? 'caps'
            and pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'caps') <> 'object'
            then 'body.caps must be an object'
        when assert_valid_spec.body -> 'caps' ? 'max_duration_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'caps' -> 'max_duration_seconds') <> 'number'
                or (assert_valid_spec.body -> 'caps' ->> 'max_duration_seconds')::numeric <= 0)
            then 'body.caps.max_duration_seconds must be a positive number'
        when private.seconds_setting(assert_valid_spec.body -> 'retries' -> 'max_backoff_seconds', interval '1 hour')
            < private.seconds_setting(assert_valid_spec.body -> 'retries' -> 'base_seconds', interval '10 seconds')
            then 'body.retries.max_backoff_seconds must not be below base_seconds'
    end;
    if v_problem is not null then
        raise exception 'invalid pipeline spec: %', v_problem
        using errcode = '22023',
        detail = 'See docs/architecture.md, "Spec settings", for the keys the control plane reads.',
        hint = 'Fix the spec and publish it again.';
    end if;
    -- GUARD: tenants share the bucket and the executors; a spec may only name its own folder.
    v_problem := private.first_uri_problem(assert_valid_spec.body);
    if v_problem is not null then
        raise exception 'invalid pipeline spec: %', v_problem
        using errcode = '22023',
        detail = 'Every dataset URI must lie under s3://${run.bucket}/${run.workspace}/: no other bucket or '
            || 'workspace, no . or .. segments, no escapes, no local paths (docs/security.md).',
        hint = 'Write the URI as s3://${run.bucket}/${run.workspace}/<key> and publish again.';
    end if;
end
$$;

comment on function private.assert_valid_spec(text, text, jsonb) is
'Raises 22023 naming the first problem of a spec (name, version, body settings, dataset URIs outside the workspace); returns quietly when the spec is valid.';
