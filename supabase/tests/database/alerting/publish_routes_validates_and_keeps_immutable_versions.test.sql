begin;
select plan(8);

-- SETUP
select tests.seed();

-- TEST: admins publish; the same content is unchanged; new content is the next version
select tests.authenticate_as('admin');
select is(public.publish_routes(tests.workspace_id(), tests.routes()) ->> 'outcome', 'published', 'an admin publishes routes');
select is(public.publish_routes(tests.workspace_id(), tests.routes()) ->> 'outcome', 'unchanged', 'the same content again is unchanged');
select is(
    (public.publish_routes(tests.workspace_id(), tests.routes('[{"name": "x", "escalation": [{"targets": ["lead"]}]}]')) ->> 'version')::integer,
    2, 'a changed document is the next version'
);
select tests.authenticate_as('operator');
select throws_ok(format('select public.publish_routes(%L, %L)', tests.workspace_id(), tests.routes()), '42501', null,
    'operators cannot publish routes');

-- TEST: bad documents fail with the path of the bad field
select tests.authenticate_as('admin');
select throws_ok(
    format('select public.publish_routes(%L, %L)', tests.workspace_id(),
        tests.routes('[{"name": "x", "escalation": [{"targets": ["pager"]}]}]')),
    '22023', 'invalid routing document: $.routes[0].escalation[0].targets names pager, which is not in targets',
    'a tier naming an unknown target is refused with its path'
);
select throws_ok(
    format('select public.publish_routes(%L, %L)', tests.workspace_id(),
        tests.routes('[{"name": "x", "match": {"sevrity": "critical"}, "escalation": [{"targets": ["lead"]}]}]')),
    '22023', 'invalid routing document: $.routes[0].match.sevrity is not a matcher: use signal_type, severity, spec, pool, executor_id, run_id or labels',
    'a misspelt matcher is refused'
);
select throws_ok(
    format('select public.publish_routes(%L, %L)', tests.workspace_id(),
        tests.routes(null, '{"targets": {"t": {"kind": "webhook", "url_secret": "https://hooks.example/x"}}}')),  -- pragma: allowlist secret
    '22023', null, 'a URL where a secret name belongs is refused'
);

-- TEST: versions are immutable
select tests.reset_role();
select throws_ok('update public.alert_route_versions set version = 9', '42501', null, 'route versions are immutable');

select * from finish();
rollback;
