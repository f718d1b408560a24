-- Why: a spec's dataset URIs must lie inside its workspace's folder of the artifacts bucket
-- (issue 12): publish_spec refuses the rest with 22023 naming the field (assert_valid_spec, 0410).

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
