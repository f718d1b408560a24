-- Why: backfills and fan-out submit many runs at once (issue 13). One call per run costs a round
-- trip, a transaction and a statement's trigger work each; submit_runs queues up to 1,000 runs in one
-- transaction and one insert, each item with its own idempotency key and its own answer.

create function public.submit_runs(workspace_id uuid, items jsonb, as_of timestamptz default null)
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
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(submit_runs.as_of);
    v_actor text := private.assert_may_submit(submit_runs.workspace_id);
    v_count integer;
    v_repeat record;
    v_suspect record;
begin
    if pg_catalog.jsonb_typeof(submit_runs.items) is distinct from 'array' then
        raise exception 'items must be a JSON array'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(submit_runs.items), 'null')),
        hint = 'Pass e.g. [{"spec_name": "etl", "params": {"day": "2026-11-30"}, "idempotency_key": "etl-2026-11-30"}].';
    end if;
    v_count := pg_catalog.jsonb_array_length(submit_runs.items);
    if v_count > 1000 then
        raise exception 'at most 1000 items per call, got %', v_count
        using errcode = 'PT413',
        detail = 'submit_runs queues one bounded batch per call.',
        hint = 'Split the batch into chunks of at most 1000 items.';
    end if;
    -- One set-based pass picks the items that may be malformed (a superset: every check of
    -- private.assert_submit_item, conservatively); only those go through it, in order, so the first
    -- malformed item raises exactly what checking every item in turn raised, and a well-formed
    -- batch costs no per-item PL/pgSQL call.
    for v_suspect in
        select (x.n - 1)::integer as i
        from pg_catalog.jsonb_array_elements(submit_runs.items) with ordinality as x (e, n)
        cross join lateral (select (x.e -> 'params')::text as params_text) as p
        where not coalesce(
            pg_catalog.jsonb_typeof(x.e) = 'object'
            and x.e - '{spec_name,spec_version,spec_hash,params,priority,idempotency_key,due_by}'::text[] = '{}'::jsonb
            and coalesce(pg_catalog.jsonb_typeof(x.e -> 'spec_name') in ('string', 'null'), true)
            and coalesce(pg_catalog.jsonb_typeof(x.e -> 'spec_version') in ('string', 'null'), true)
            and coalesce(pg_catalog.jsonb_typeof(x.e -> 'spec_hash') in ('string', 'null'), true)
            and coalesce(pg_catalog.jsonb_typeof(x.e -> 'idempotency_key') in ('string', 'null'), true)
            and coalesce(pg_catalog.jsonb_typeof(x.e -> 'due_by') in ('string', 'null'), true)
            and (x.e ->> 'spec_name' is null) <> (x.e ->> 'spec_hash' is null)
            and (x.e ->> 'spec_hash' is null or x.e ->> 'spec_version' is null)
            and (not x.e ? 'params' or pg_catalog.jsonb_typeof(x.e -> 'params') = 'object')
            -- The input bounds: at most 64 KiB, and no more than 32 levels, which needs at least
            -- 33 opening brackets in the text (brackets inside strings only make it suspect).
            and coalesce(pg_catalog.octet_length(p.params_text) <= 65536
                and pg_catalog.length(p.params_text)
                    - pg_catalog.length(pg_catalog.translate(p.params_text, '{[', '')) <= 32, true)
            and case when not x.e ? 'priority' then true
                when pg_catalog.jsonb_typeof(x.e -> 'priority') = 'number' then
                    (x.e ->> 'priority')::numeric between -1000 and 1000
                    and (x.e ->> 'priority')::numeric = pg_catalog.trunc((x.e ->> 'priority')::numeric)
                else false end
            and coalesce(pg_catalog.char_length(x.e ->> 'idempotency_key') between 1 and 200, true),
            false
        )
        order by x.n
    loop
        perform private.assert_submit_item(submit_runs.items -> v_suspect.i, pg_catalog.format('items[%s].', v_suspect.i));
    end loop;
    select pg_catalog.min(x.n) - 1 as first, pg_catalog.max(x.n) - 1 as again, x.e ->> 'idempotency_key' as key
    into v_repeat
    from pg_catalog.jsonb_array_elements(submit_runs.items) with ordinality as x (e, n)
    where x.e ->> 'idempotency_key' is not null
    group by x.e ->> 'idempotency_key'
    having pg_catalog.count(*) > 1
    order by 1
    limit 1;
    if found then
        raise exception 'items[%].idempotency_key repeats the key of items[%]', v_repeat.again, v_repeat.first
        using errcode = '22023',
        detail = pg_catalog.format('Key %s.', v_repeat.key),
        hint = 'Each run of a batch needs its own idempotency key.';
    end if;

    return query
    select a.item, a.outcome, a.code, a.message, a.detail, a.hint, a.run_id
    from private.submit_runs(submit_runs.workspace_id, submit_runs.items, v_as_of, v_actor) as a;
end
$$;

comment on function public.submit_runs(uuid, jsonb, timestamptz) is
'Queues up to 1000 runs in one call (items: [{spec_name | spec_hash, spec_version, params, priority, idempotency_key, due_by}]), with the same checks as submit_run. A malformed item or a repeated idempotency key fails the whole call (22023, naming items[i]; PT413 above 1000 items); otherwise one answer per item, in order: {item, outcome: accepted | duplicate | rejected, code (PT404, 23505, 22023, PT429, 40001), message, detail, hint, run_id}.';

revoke execute on function public.submit_runs(uuid, jsonb, timestamptz) from public, anon, authenticated;
grant execute on function public.submit_runs(uuid, jsonb, timestamptz) to authenticated, service_role;
