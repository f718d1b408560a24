begin;
select plan(10);

-- SETUP
select tests.seed();
select tests.authenticate_as_service_role();

-- TEST: each problem is refused with 22023 naming the field, the value and the fix
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 's', '1', '{"schedules": {"name": "x"}}') $$,
    '22023', 'invalid pipeline spec: body.schedules must be a list of schedules (name, cron, timezone, params, catchup, max_catchup, paused)',
    'schedules must be a list'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 's', '1', '{"schedules": [{"name": "x", "cron": "0 25 * * *"}]}') $$,
    '22023', 'invalid pipeline spec: body.schedules[0].cron: hour field (2 of 5): ''25'' is out of range; use 0-23',
    'a bad cron field'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 's', '1', '{"schedules": [{"name": "x", "cron": "0 1 * * *", "timezone": "Mars/Olympus"}]}') $$,
    '22023', 'invalid pipeline spec: body.schedules[0].timezone ''Mars/Olympus'' is not an IANA time zone name; write e.g. Europe/Berlin, America/New_York or UTC',
    'an unknown time zone'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 's', '1', '{"schedules": [{"name": "x", "cron": "0 1 * * *", "catchup": "some"}]}') $$,
    '22023', 'invalid pipeline spec: body.schedules[0].catchup ''some'' must be none, latest or all',
    'an unknown catchup'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 's', '1', '{"schedules": [{"name": "x", "cron": "0 1 * * *", "max_catchup": 0}]}') $$,
    '22023', 'invalid pipeline spec: body.schedules[0].max_catchup 0 must be an integer from 1 to 100',
    'max_catchup out of bounds'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 's', '1', '{"schedules": [{"name": "x", "cron": "0 1 * * *"}, {"name": "x", "cron": "0 2 * * *"}]}') $$,
    '22023', 'invalid pipeline spec: body.schedules[0].name ''x'' is used twice; schedule names are unique within a spec',
    'a name used twice'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 's', '1', '{"schedules": [{"name": "Nightly!", "cron": "0 1 * * *"}]}') $$,
    '22023', 'invalid pipeline spec: body.schedules[0].name ''Nightly!'' must be 1-63 lower-case letters, digits, dashes or underscores (e.g. nightly)',
    'a bad name'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 's', '1', '{"schedules": [{"name": "x", "cron": "0 1 * * *", "every": 5}]}') $$,
    '22023', 'invalid pipeline spec: body.schedules[0].every is not a schedule setting; use name, cron, timezone, params, catchup, max_catchup, paused',
    'an unknown key'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 's', '1', '{
        "params": {"type": "object", "properties": {"day": {"type": "string"}}, "required": ["day"], "additionalProperties": false},
        "schedules": [{"name": "x", "cron": "0 1 * * *", "params": {"days": 1}}]}') $$,
    '22023', null,
    'params the submit would refuse'
);

-- TEST: a valid schedule publishes
select is(
    (select s.name from public.publish_spec(tests.workspace_id(), 's', '1', '{"schedules": [{"name": "x", "cron": "0 1 * * *", "timezone": "Europe/Berlin", "catchup": "all", "max_catchup": 5, "paused": true}]}') as s),
    's', 'a valid schedule publishes'
);

select * from finish();
rollback;
