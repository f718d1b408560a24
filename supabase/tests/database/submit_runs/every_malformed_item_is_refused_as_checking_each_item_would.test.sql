begin;
select plan(46);

-- SETUP
select tests.seed();
-- The error a statement raises (SQLSTATE and message), or null.
create function pg_temp.error_of(query text)
returns text
language plpgsql
set search_path = ''
as $$
begin
    execute error_of.query;
    return null;
exception when others then
    return sqlstate || ' ' || sqlerrm;
end
$$;
-- Every way private.assert_submit_item refuses an item, and what it raises for it as the second
-- item of a batch (computed by the owner: the helper is not executable by API roles).
create temporary table malformed (name text, item jsonb, expected text);
insert into malformed (name, item)
values
    ('not an object', '"etl"'),
    ('a JSON null', 'null'),
    ('an unknown key', '{"spec_name": "etl", "bogus": 1}'),
    ('a numeric spec_name', '{"spec_name": 5}'),
    ('an object spec_version', '{"spec_name": "etl", "spec_version": {"a": 1}}'),
    ('a numeric spec_hash', '{"spec_hash": 1}'),
    ('a numeric idempotency_key', '{"spec_name": "etl", "idempotency_key": 5}'),
    ('a boolean due_by', '{"spec_name": "etl", "due_by": true}'),
    ('neither spec_name nor spec_hash', '{"params": {}}'),
    ('both spec_name and spec_hash', '{"spec_name": "etl", "spec_hash": "abc"}'),
    ('spec_version with spec_hash', '{"spec_hash": "abc", "spec_version": "1"}'),
    ('params an array', '{"spec_name": "etl", "params": []}'),
    ('params null', '{"spec_name": "etl", "params": null}'),
    ('params above 64 KiB', pg_catalog.jsonb_build_object(
        'spec_name', 'etl', 'params', pg_catalog.jsonb_build_object('a', pg_catalog.repeat('x', 65536)))),
    ('params 33 levels deep', pg_catalog.jsonb_build_object(
        'spec_name', 'etl', 'params', (pg_catalog.repeat('{"a": ', 33) || '1' || pg_catalog.repeat('}', 33))::jsonb)),
    ('priority a string', '{"spec_name": "etl", "priority": "5"}'),
    ('priority null', '{"spec_name": "etl", "priority": null}'),
    ('priority fractional', '{"spec_name": "etl", "priority": 1.5}'),
    ('priority above 1000', '{"spec_name": "etl", "priority": 1001}'),
    ('priority below -1000', '{"spec_name": "etl", "priority": -1001}'),
    ('an empty idempotency_key', '{"spec_name": "etl", "idempotency_key": ""}'),
    ('an idempotency_key of 201 characters', pg_catalog.jsonb_build_object(
        'spec_name', 'etl', 'idempotency_key', pg_catalog.repeat('k', 201)));
update malformed as m set expected = pg_temp.error_of(
    pg_catalog.format('select private.assert_submit_item(%L::jsonb, %L)', m.item, 'items[1].')
);
grant select on malformed to public;
grant execute on function pg_temp.error_of(text) to public;
select tests.authenticate_as('operator');

-- TEST: each malformed item (after a well-formed one) fails the batch exactly as checking each item
-- in turn with private.assert_submit_item does
select isnt(m.expected, null, m.name || ' is malformed') from malformed as m order by m.name;
select is(
    pg_temp.error_of(pg_catalog.format(
        'select * from public.submit_runs(%L, %L::jsonb)',
        tests.workspace_id(), pg_catalog.jsonb_build_array('{"spec_name": "etl"}'::jsonb, m.item)
    )),
    m.expected,
    m.name || ': the batch fails with the item''s own error'
)
from malformed as m order by m.name;

-- TEST: the first malformed item of the batch is the one named
select throws_ok(
    $$ select * from public.submit_runs(tests.workspace_id(),
        '[{"spec_name": "etl"}, {"spec_name": "etl", "priority": 1001}, {"spec": "etl"}]') $$,
    '22023', 'items[1].priority must be between -1000 and 1000', 'items[1] is named, not items[2]'
);

-- TEST: well-formed items near the bounds are accepted (priority ±1000, brackets inside strings,
-- params 32 levels deep, a 200-character key, a spec_name of null beside a spec_hash)
select results_eq(
    pg_catalog.format(
        'select a.outcome from public.submit_runs(%L, %L::jsonb) as a order by a.item',
        tests.workspace_id(),
        pg_catalog.jsonb_build_array(
            '{"spec_name": "etl", "priority": 1000, "params": {"s": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}}'::jsonb,
            pg_catalog.jsonb_build_object(
                'spec_name', 'etl', 'params', (pg_catalog.repeat('{"a": ', 32) || '1' || pg_catalog.repeat('}', 32))::jsonb,
                'idempotency_key', pg_catalog.repeat('k', 200), 'priority', -1000
            ),
            pg_catalog.jsonb_build_object(
                'spec_name', null, 'spec_hash',
                (select s.spec_hash from public.pipeline_specs as s where s.workspace_id = tests.workspace_id())
            )
        )
    ),
    $$ values ('accepted'::text), ('accepted'), ('accepted') $$,
    'items that only look suspect are checked in full and accepted'
);

select * from finish();
rollback;
