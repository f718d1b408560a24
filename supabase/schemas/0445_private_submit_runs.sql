-- Why: submitting is one set-based path (issue 13): submit_run is a batch of one over
-- private.submit_runs, and submit_runs takes up to 1,000 items per call for backfills and fan-out.
-- Every client gets the CLI's checks: params are validated against the spec's JSON Schema in SQL
-- (required, type, enum, additionalProperties) with the CLI's messages, and defaults are filled in
-- before the run is stored. A malformed item fails the whole call; the other refusals are answers
-- per item (like complete_runs).

create function private.json_repr(value jsonb)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_text text;
begin
    -- The Python repr() jsonschema prints values with, so the SQL and CLI messages read the same.
    case pg_catalog.jsonb_typeof(json_repr.value)
        when 'string' then
            v_text := json_repr.value #>> '{}';
            v_text := pg_catalog.replace(v_text, E'\\', E'\\\\');
            v_text := pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(v_text, E'\n', E'\\n'), E'\t', E'\\t'), E'\r', E'\\r');
            if pg_catalog.strpos(v_text, '''') > 0 and pg_catalog.strpos(v_text, '"') = 0 then
                return '"' || v_text || '"';
            end if;
            return '''' || pg_catalog.replace(v_text, '''', E'\\''') || '''';
        when 'number' then return json_repr.value::text;
        when 'boolean' then return case when json_repr.value = 'true'::jsonb then 'True' else 'False' end;
        when 'null' then return 'None';
        when 'array' then
            return '[' || coalesce((
                select pg_catalog.string_agg(private.json_repr(e.value), ', ' order by e.n)
                from pg_catalog.jsonb_array_elements(json_repr.value) with ordinality as e (value, n)
            ), '') || ']';
        when 'object' then
            return '{' || coalesce((
                select pg_catalog.string_agg(private.json_repr(pg_catalog.to_jsonb(o.key)) || ': ' || private.json_repr(o.value), ', ')
                from pg_catalog.jsonb_each(json_repr.value) as o
            ), '') || '}';
    end case;
    return null;
end
$$;

comment on function private.json_repr(jsonb) is
'A JSON value as Python''s repr() prints it (''text'', True, None, [1, 2], {''a'': 1}), for messages that read like the CLI''s (jsonschema).';

create function private.json_has_type(value jsonb, types jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$
    select exists (
        select
        from pg_catalog.jsonb_array_elements_text(
            case when pg_catalog.jsonb_typeof(json_has_type.types) = 'array' then json_has_type.types
                else pg_catalog.jsonb_build_array(json_has_type.types) end
        ) as t (name)
        where case t.name
            -- JSON Schema: an integer is any number without a fractional part (1.0 included).
            when 'integer' then pg_catalog.jsonb_typeof(json_has_type.value) = 'number'
                and (json_has_type.value #>> '{}')::numeric = pg_catalog.trunc((json_has_type.value #>> '{}')::numeric)
            when 'number' then pg_catalog.jsonb_typeof(json_has_type.value) = 'number'
            else pg_catalog.jsonb_typeof(json_has_type.value) = t.name
        end
    )
$$;

comment on function private.json_has_type(jsonb, jsonb) is
'Whether a JSON value has one of the JSON Schema types (a name or an array of names; integer includes 1.0).';

create function private.params_with_defaults(params_schema jsonb, params jsonb)
returns jsonb
language sql
immutable
set search_path = ''
as $$
    select coalesce((
        select pg_catalog.jsonb_object_agg(d.key, d.value -> 'default')
        from pg_catalog.jsonb_each(
            case when pg_catalog.jsonb_typeof(params_with_defaults.params_schema -> 'properties') = 'object'
                then params_with_defaults.params_schema -> 'properties' else '{}'::jsonb end
        ) as d
        where pg_catalog.jsonb_typeof(d.value) = 'object' and d.value ? 'default'
          and not params_with_defaults.params ? d.key
    ), '{}'::jsonb) || params_with_defaults.params
$$;

comment on function private.params_with_defaults(jsonb, jsonb) is
'params with the defaults of the spec''s params schema filled in for the properties not given (as the CLI''s resolve_params does).';

create function private.params_problems(params_schema jsonb, params jsonb, source text)
returns text
language sql
immutable
set search_path = ''
as $$
    with s as (
        select
            case when pg_catalog.jsonb_typeof(params_problems.params_schema -> 'properties') = 'object'
                then params_problems.params_schema -> 'properties' else '{}'::jsonb end as props,
            case when pg_catalog.jsonb_typeof(params_problems.params_schema -> 'required') = 'array'
                then params_problems.params_schema -> 'required' else '[]'::jsonb end as req,
            params_problems.params_schema -> 'additionalProperties' as additional
    ),
    problems (path, n, message) as (
        select '', r.n, pg_catalog.format('%s is a required property', private.json_repr(r.name))
        from s
        cross join pg_catalog.jsonb_array_elements(s.req) with ordinality as r (name, n)
        where not params_problems.params ? (r.name #>> '{}')
        union all
        select '', 100000, pg_catalog.format(
            'Additional properties are not allowed (%s %s unexpected)',
            pg_catalog.string_agg(private.json_repr(pg_catalog.to_jsonb(k.key)), ', ' order by k.key),
            case when pg_catalog.count(*) = 1 then 'was' else 'were' end
        )
        from s
        cross join pg_catalog.jsonb_object_keys(params_problems.params) as k (key)
        where s.additional = 'false'::jsonb and not s.props ? k.key
        having pg_catalog.count(*) > 0
        union all
        select p.key, 1, pg_catalog.format(
            '%s is not of type %s', private.json_repr(p.value),
            (select pg_catalog.string_agg(private.json_repr(t.value), ', ' order by t.n)
                from pg_catalog.jsonb_array_elements(
                    case when pg_catalog.jsonb_typeof(d.value -> 'type') = 'array' then d.value -> 'type'
                        else pg_catalog.jsonb_build_array(d.value -> 'type') end
                ) with ordinality as t (value, n))
        )
        from s
        cross join pg_catalog.jsonb_each(params_problems.params) as p
        inner join pg_catalog.jsonb_each(s.props) as d on d.key = p.key
        where pg_catalog.jsonb_typeof(d.value) = 'object' and d.value ? 'type'
          and not private.json_has_type(p.value, d.value -> 'type')
        union all
        select p.key, 2, pg_catalog.format('%s is not one of %s', private.json_repr(p.value), private.json_repr(d.value -> 'enum'))
        from s
        cross join pg_catalog.jsonb_each(params_problems.params) as p
        inner join pg_catalog.jsonb_each(s.props) as d on d.key = p.key
        where pg_catalog.jsonb_typeof(d.value -> 'enum') = 'array'
          and not exists (select from pg_catalog.jsonb_array_elements(d.value -> 'enum') as e where e.value = p.value)
    )
    -- Sorted as the CLI sorts them (by path, the root first, then message; code-point order), one
    -- line each: "<source>: <path>: <message>".
    select pg_catalog.string_agg(
        params_problems.source || ': ' || case when p.path = '' then '' else p.path || ': ' end || p.message,
        E'\n' order by p.path collate "C", p.message collate "C"
    )
    from problems as p
$$;

comment on function private.params_problems(jsonb, jsonb, text) is
'What is wrong with params (defaults already filled in) against the spec''s params JSON Schema: required, additionalProperties: false, and each property''s type and enum, one line per problem as the CLI prints them ("params of etl v1: n: ''x'' is not of type ''integer''"); null when none. Other JSON Schema keywords are checked by the CLI only.';

create function private.assert_submit_item(item jsonb, label text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_unknown text;
begin
    if pg_catalog.jsonb_typeof(assert_submit_item.item) is distinct from 'object' then
        raise exception '%must be a JSON object', assert_submit_item.label
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(assert_submit_item.item), 'null')),
        hint = 'Each item is {"spec_name": …, "params": {…}, "priority": 0, "idempotency_key": …}.';
    end if;
    select k into v_unknown from pg_catalog.jsonb_object_keys(assert_submit_item.item) as k
    where k not in ('spec_name', 'spec_version', 'spec_hash', 'params', 'priority', 'idempotency_key', 'due_by')
    order by k limit 1;
    if v_unknown is not null then
        raise exception '%has an unknown key %', assert_submit_item.label, v_unknown
        using errcode = '22023',
        detail = 'Keys: spec_name, spec_version, spec_hash, params, priority, idempotency_key, due_by.',
        hint = 'Check the spelling.';
    end if;
    select k into v_unknown from pg_catalog.jsonb_object_keys(assert_submit_item.item) as k
    where k in ('spec_name', 'spec_version', 'spec_hash', 'idempotency_key', 'due_by')
      and pg_catalog.jsonb_typeof(assert_submit_item.item -> k) not in ('string', 'null')
    order by k limit 1;
    if v_unknown is not null then
        raise exception using
        message = assert_submit_item.label || v_unknown || ' must be a string',
        errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.jsonb_typeof(assert_submit_item.item -> v_unknown)),
        hint = 'Pass text (due_by: an ISO 8601 time).';
    end if;
    if (assert_submit_item.item ->> 'spec_name' is null) = (assert_submit_item.item ->> 'spec_hash' is null) then
        raise exception '%name the spec either by spec_name (and optional spec_version) or by spec_hash', assert_submit_item.label
        using errcode = '22023',
        detail = 'Exactly one of spec_name and spec_hash must be given.',
        hint = 'Pass spec_name (latest version) or spec_name and spec_version, or spec_hash.';
    end if;
    if assert_submit_item.item ->> 'spec_hash' is not null and assert_submit_item.item ->> 'spec_version' is not null then
        raise exception '%spec_version cannot be combined with spec_hash', assert_submit_item.label
        using errcode = '22023',
        detail = 'A hash names one version already.',
        hint = 'Pass spec_hash alone.';
    end if;
    if assert_submit_item.item ? 'params'
        and pg_catalog.jsonb_typeof(assert_submit_item.item -> 'params') is distinct from 'object' then
        raise exception '%params must be a JSON object', assert_submit_item.label
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.jsonb_typeof(assert_submit_item.item -> 'params')),
        hint = 'Pass {} for no parameters.';
    end if;
    -- GUARD: params travel to the executor in every claim reply; see docs/caps.md, "Input bounds".
    perform private.assert_json_within(
        assert_submit_item.label || 'params', assert_submit_item.item -> 'params', 65536, 32,
        'Pass large or deeply structured inputs by reference: store them in the data plane and put their uri in params.'
    );
    if assert_submit_item.item ? 'priority' and (
        pg_catalog.jsonb_typeof(assert_submit_item.item -> 'priority') is distinct from 'number'
        or not private.json_has_type(assert_submit_item.item -> 'priority', '"integer"')
        or (assert_submit_item.item ->> 'priority')::numeric not between -1000 and 1000
    ) then
        raise exception '%priority must be between -1000 and 1000', assert_submit_item.label
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(assert_submit_item.item ->> 'priority', 'null')),
        hint = 'Higher runs first; 0 is the default.';
    end if;
    if pg_catalog.char_length(assert_submit_item.item ->> 'idempotency_key') not between 1 and 200 then
        raise exception '%idempotency_key must have 1 to 200 characters', assert_submit_item.label
        using errcode = '22023',
        detail = 'Use a UUID or another client-generated unique string.',
        hint = 'Omit it to submit without idempotency.';
    end if;
end
$$;

comment on function private.assert_submit_item(jsonb, text) is
'Raises 22023 (PT413 for params above 64 KiB) when a submit item is malformed: not an object, unknown keys, non-text references, the spec named both or neither way, spec_version with spec_hash, params not an object or beyond the input bounds, priority not an integer in -1000..1000, an idempotency_key not 1..200 characters. label prefixes the message (items[i]. in a batch).';

create function private.assert_may_submit(workspace_id uuid)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
    v_actor text := private.caller_actor();
begin
    if v_actor is null then
        raise exception 'only workspace operators and the service role submit runs'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Sign in as a workspace operator.';
    end if;
    if private.caller_role() = 'authenticated'
        and not private.is_member(assert_may_submit.workspace_id, 'operator') then
        raise exception 'only operators, admins and owners of the workspace submit runs'
        using errcode = '42501',
        detail = 'The caller is not a member of this workspace, or only a viewer.',
        hint = 'Ask a workspace admin for the operator role.';
    end if;
    return v_actor;
end
$$;

comment on function private.assert_may_submit(uuid) is
'Checks that the caller may submit runs in the workspace (an operator or above, or the service role) and returns the audit actor.';

create function private.submit_runs(workspace_id uuid, items jsonb, as_of timestamptz, actor text)
returns table (
    item integer,
    outcome text,
    code text,
    message text,
    detail text,
    hint text,
    run_id uuid
)
language plpgsql
volatile
set search_path = ''
-- Spec and key lookups must stay index probes whatever the cached plan saw (20261126070100).
set enable_seqscan = off
as $$
#variable_conflict use_column
declare
    v_limits public.workspace_limits;
    v_room integer;
    v_queued integer;
begin
    -- Items are well formed (private.assert_submit_item) and their idempotency keys distinct.
    select wl.* into v_limits from public.workspace_limits as wl
    where wl.workspace_id = submit_runs.workspace_id;
    if v_limits.max_queued_runs is not null then
        -- GUARD: concurrent submits of a workspace with a queue cap queue one at a time past this
        -- lock, so the count below (a statement of its own) sees every run queued before.
        perform from public.workspace_limits as wl
        where wl.workspace_id = submit_runs.workspace_id
        for no key update;
        select pg_catalog.count(*)::integer into v_queued
        from (
            select from public.runs as r
            where r.workspace_id = submit_runs.workspace_id and r.status = 'queued'
            limit v_limits.max_queued_runs
        ) as q;
        v_room := v_limits.max_queued_runs - v_queued;
    end if;

    return query
    with req as (
        select
            (x.n - 1)::integer as item,
            x.e ->> 'spec_name' as spec_name,
            x.e ->> 'spec_version' as spec_version,
            x.e ->> 'spec_hash' as spec_hash,
            coalesce(x.e -> 'params', '{}'::jsonb) as params_in,
            -- JSON has numbers, not integers: 1.0 is the integer 1 (assert_submit_item checked it).
            coalesce((x.e ->> 'priority')::numeric::integer, 0) as priority,
            x.e ->> 'idempotency_key' as idempotency_key,
            (x.e ->> 'due_by')::timestamptz as requested_due_by
        from pg_catalog.jsonb_array_elements(submit_runs.items) with ordinality as x (e, n)
    ),
    refs as (
        -- Each distinct spec reference of the batch is looked up once.
        select distinct q.spec_name, q.spec_version, q.spec_hash from req as q
    ),
    specs as (
        select f.spec_name as ref_name, f.spec_version as ref_version, f.spec_hash as ref_hash,
            s.id as spec_id, s.pool, s.required_labels, s.name, s.version,
            coalesce(s.body -> 'params', '{}'::jsonb) as params_schema,
            (s.body ->> 'due_within_seconds')::double precision as due_within_seconds
        from refs as f
        left join lateral (
            select s.id, s.pool, s.required_labels, s.name, s.version, s.body
            from public.pipeline_specs as s
            where s.workspace_id = submit_runs.workspace_id
              and (
                  (f.spec_hash is not null and s.spec_hash = f.spec_hash)
                  or (f.spec_name is not null and s.name = f.spec_name
                      and (f.spec_version is null or s.version = f.spec_version))
              )
            -- "Latest": the highest integer version; non-integer versions by publish time.
            order by
                case when s.version ~ '^[0-9]{1,18}$' then s.version::bigint end desc nulls last,
                s.published_at desc,
                s.id desc
            limit 1
        ) as s on true
    ),
    resolved as (
        select q.*, p.spec_id, p.pool, p.required_labels, p.name, p.version, p.params_schema,
            p.due_within_seconds,
            -- The run's own due_by, else the spec's due_within_seconds after the submit.
            coalesce(
                q.requested_due_by, submit_runs.as_of + pg_catalog.make_interval(secs => p.due_within_seconds)
            ) as due_by
        from req as q
        inner join specs as p
            on p.ref_name is not distinct from q.spec_name
            and p.ref_version is not distinct from q.spec_version
            and p.ref_hash is not distinct from q.spec_hash
    ),
    checked as (
        select v.*, d.params, e.id as existing_id,
            -- A due_by derived from the spec counts from the first submit, not from a retry's.
            (v.spec_id, d.params, v.priority, coalesce(
                v.requested_due_by, e.created_at + pg_catalog.make_interval(secs => v.due_within_seconds)
            ))
            is not distinct from (e.spec_id, e.params, e.priority, e.due_by) as same_request,
            pr.problems
        from resolved as v
        -- A spec without a params schema takes any object: no per-item schema work then.
        cross join lateral (
            select case when v.params_schema = '{}'::jsonb then v.params_in
                else private.params_with_defaults(v.params_schema, v.params_in) end as params
        ) as d
        cross join lateral (
            select case when v.params_schema <> '{}'::jsonb then private.params_problems(
                v.params_schema, d.params, pg_catalog.format('params of %s v%s', v.name, v.version)
            ) end as problems
        ) as pr
        left join public.runs as e
            on v.idempotency_key is not null
            and e.workspace_id = submit_runs.workspace_id and e.idempotency_key = v.idempotency_key
    ),
    judged as (
        -- The first refusal that applies, in the order submit_run has always checked them; a
        -- retried submit of a run already queued under its key is answered, not refused again.
        -- (CASE expressions rather than a subquery per item: this runs for every item of a batch.)
        select c.*,
            case
                when c.spec_id is null then 'PT404'
                when c.existing_id is not null and not c.same_request then '23505'
                when c.existing_id is null and c.problems is not null then '22023'
                when c.existing_id is null and c.priority > v_limits.max_priority then '22023'
            end as code,
            case
                when c.spec_id is null then pg_catalog.format(
                    'spec %s is not published in workspace %s',
                    coalesce(c.spec_hash, c.spec_name || coalesce('@' || c.spec_version, '')), submit_runs.workspace_id
                )
                when c.existing_id is not null and not c.same_request then
                    pg_catalog.format('idempotency key %s was used for a different request', c.idempotency_key)
                when c.existing_id is null and c.problems is not null then c.problems
                when c.existing_id is null and c.priority > v_limits.max_priority then pg_catalog.format(
                    'priority %s is above the workspace''s maximum priority %s', c.priority, v_limits.max_priority
                )
            end as message,
            case
                when c.spec_id is null then 'No published spec version matches.'
                when c.existing_id is not null and not c.same_request then pg_catalog.format(
                    'Run %s was submitted with this key for another spec, params, priority or due_by.', c.existing_id
                )
                when c.existing_id is null and c.problems is not null then
                    'The params do not match the spec''s params schema (defaults filled in).'
                when c.existing_id is null and c.priority > v_limits.max_priority then
                    pg_catalog.format('priority=%s limit=%s', c.priority, v_limits.max_priority)
            end as detail,
            case
                when c.spec_id is null then 'Publish the spec with publish_spec first, or check the name, version or hash.'
                when c.existing_id is not null and not c.same_request then 'Use a new idempotency key for a new request.'
                when c.existing_id is null and c.problems is not null then
                    'Fix the params; `controlroom spec show` prints the schema.'
                when c.existing_id is null and c.priority > v_limits.max_priority then
                    'Submit with a lower priority, or ask a workspace admin to raise max_priority.'
            end as hint
        from checked as c
    ),
    ranked as (
        select j.*, pg_catalog.gen_random_uuid() as new_id,
            pg_catalog.count(*) filter (where j.code is null and j.existing_id is null)
                over (order by j.item rows between unbounded preceding and current row) as new_rank
        from judged as j
    ),
    -- Materialised: inlined, the context would be computed again for every run it is joined to.
    contexts as materialized (
        -- What scores share, once per pool and spec of the batch (private.score_context).
        select g.pool, g.spec_id, private.score_context(submit_runs.workspace_id, g.pool, g.spec_id) as context
        from (select distinct k.pool, k.spec_id from ranked as k where k.spec_id is not null) as g
    ),
    inserted as (
        insert into public.runs as r (
            id, workspace_id, spec_id, params, priority, idempotency_key, pool, required_labels,
            submitted_by, created_at, score, not_before, status_changed_at, status_changed_by,
            status_reason, updated_at, due_by
        )
        select
            k.new_id, submit_runs.workspace_id, k.spec_id, k.params, k.priority, k.idempotency_key, k.pool,
            k.required_labels, (select auth.uid()), submit_runs.as_of,
            pg_catalog.max(k.score) over (partition by k.pool, k.spec_id, k.priority, k.due_by),
            submit_runs.as_of, submit_runs.as_of, submit_runs.actor, 'submitted', submit_runs.as_of, k.due_by
        from (
            -- Runs of one spec version with the same priority and due_by score the same at submit:
            -- the score is computed for the first of each group and shared by the window above
            -- (a scoring call costs about 10 µs; a batch usually has a handful of groups).
            select k.*, case when k.nth = 1 then private.score_in(
                k.context, k.priority, submit_runs.as_of, k.due_by, 0, submit_runs.as_of
            ) end as score
            from (
                select k.*, x.context,
                    pg_catalog.row_number() over (partition by k.pool, k.spec_id, k.priority, k.due_by) as nth
                from ranked as k
                inner join contexts as x on x.pool = k.pool and x.spec_id = k.spec_id
                where k.code is null and k.existing_id is null and (v_room is null or k.new_rank <= v_room)
            ) as k
        ) as k
        order by k.item
        on conflict (workspace_id, idempotency_key) where idempotency_key is not null do nothing
        returning r.id
    )
    select k.item,
        case
            when k.code is not null then 'rejected'
            when k.existing_id is not null then 'duplicate'
            when i.id is not null then 'accepted'
            else 'rejected'
        end,
        case
            when k.code is not null then k.code
            when k.existing_id is not null or i.id is not null then null
            when v_room is not null and k.new_rank > v_room then 'PT429'
            else '40001'
        end,
        case
            when k.code is not null then k.message
            when k.existing_id is not null or i.id is not null then null
            when v_room is not null and k.new_rank > v_room then
                pg_catalog.format('workspace %s has %s queued runs, its limit', submit_runs.workspace_id, v_limits.max_queued_runs)
            else pg_catalog.format('idempotency key %s is being used by a concurrent submit', k.idempotency_key)
        end,
        case
            when k.code is not null then k.detail
            when k.existing_id is not null or i.id is not null then null
            when v_room is not null and k.new_rank > v_room then
                pg_catalog.format('queued=%s limit=%s', v_limits.max_queued_runs, v_limits.max_queued_runs)
            else 'Another transaction inserted a run with this key and has not committed yet.'
        end,
        case
            when k.code is not null then k.hint
            when k.existing_id is not null or i.id is not null then null
            when v_room is not null and k.new_rank > v_room then
                'Retry when queued runs have been claimed, or ask a workspace admin to raise max_queued_runs.'
            else 'Retry the call: it then answers with the run of that submit.'
        end,
        coalesce(i.id, k.existing_id)
    from ranked as k
    -- An uncorrelated IN is one hashed subplan: a join would be a nested loop (the planner
    -- estimates CTEs at one row), quadratic in the batch.
    cross join lateral (
        select case when k.new_id in (select n.id from inserted as n) then k.new_id end as id
    ) as i
    order by k.item;
end
$$;

comment on function private.submit_runs(uuid, jsonb, timestamptz, text) is
'The one submit path (submit_run is a batch of one): for well-formed items with distinct idempotency keys, resolves each spec (by hash, or name and optional version, else the latest), fills in the params'' defaults and checks them against the spec''s params schema, takes due_by from the item or else due_within_seconds of the spec after the submit, applies the workspace''s max_priority and max_queued_runs, and inserts the admitted runs in one statement with their scores. Answers per item: accepted | duplicate (same key, same request) | rejected with code PT404, 23505, 22023, PT429 or 40001 (a concurrent submit holds the key), message, detail and hint.';
