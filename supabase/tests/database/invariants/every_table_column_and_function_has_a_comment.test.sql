begin;
select plan(3);

-- TEST: every table and view has a comment
select is_empty(
    $$
    select c.relname
    from pg_catalog.pg_class as c
    inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
    where n.nspname = 'public' and c.relkind in ('r', 'v')
      and obj_description(c.oid, 'pg_class') is null
    $$,
    'every public table and view has a comment'
);

-- TEST: every column has a comment
select is_empty(
    $$
    select c.relname || '.' || a.attname
    from pg_catalog.pg_attribute as a
    inner join pg_catalog.pg_class as c on a.attrelid = c.oid
    inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
    where n.nspname = 'public' and c.relkind in ('r', 'v') and a.attnum > 0 and not a.attisdropped
      and col_description(c.oid, a.attnum) is null
    $$,
    'every column of public tables and views has a comment'
);

-- TEST: every function has a comment
select is_empty(
    $$
    select p.oid::regprocedure::text
    from pg_catalog.pg_proc as p
    inner join pg_catalog.pg_namespace as n on p.pronamespace = n.oid
    where n.nspname in ('public', 'private')
      and obj_description(p.oid, 'pg_proc') is null
    $$,
    'every function in public and private has a comment'
);

select * from finish();
rollback;
