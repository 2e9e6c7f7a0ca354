<?php

/**
 * @file
 * The product's main job, end to end through the PHP FFI binding, against the
 * bundled Graph emulator. Used by `make demo`:
 *
 *   scripts/with-emulator.sh target/release/entra-graph-emulator \
 *     --seed-user 'adele@contoso.onmicrosoft.com|Adele Vance|adele@contoso.com' \
 *     -- php scripts/demo.php --library=$PWD/target/release/libentra_provisioning.so \
 *        --header=$PWD/include/entra_provisioning.h
 *
 * Options (or environment):
 *   --library=PATH   (ENTRA_LIBRARY)        libentra_provisioning.so
 *   --header=PATH    (ENTRA_HEADER)         include/entra_provisioning.h
 *   --emulator=URL   (ENTRA_EMULATOR_URL)   base URL of the emulator (token endpoint and Graph)
 *   --users=N        bulk users (default 500)   --chunk=N  per call (default 100)
 *   --tag=TEXT       suffix of the demo accounts (default: derived from the time, so reruns
 *                    against the same emulator create new accounts)
 * The client secret comes from ENTRA_CLIENT_SECRET (default: the emulator's) and is never printed.
 *
 * Exit code 0 only if every step behaved as expected.
 */

declare(strict_types=1);

use Drupal\entra_provisioning\Native\EntraNative;
use Drupal\entra_provisioning\Native\FfiLoader;
use Drupal\entra_provisioning\Native\Exception\ConflictException;
use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\Exception\ValidationException;

// Class definitions only (no side effects), the same file opcache.preload uses.
require_once dirname(__DIR__) . '/drupal_module/preload.php';

const DEMO_TENANT = '11111111-2222-3333-4444-555555555555';
const DEMO_CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const DEMO_DOMAIN = 'contoso.onmicrosoft.com';
const DEMO_SEEDED_UPN = 'adele@contoso.onmicrosoft.com';
// Seeded by `make demo` (--seed-group): Megan is in Paris engineers, nested in Engineering.
const DEMO_GROUP_ENGINEERING = '60000000-0000-4000-8000-000000000001';
const DEMO_GROUP_STAFF = '60000000-0000-4000-8000-000000000003';
const DEMO_MEGAN_UPN = 'megan@contoso.onmicrosoft.com';

/**
 * @param list<string> $argv
 *
 * @return array<string, string>
 */
function demo_options(array $argv): array
{
    $options = [];
    $args = array_slice($argv, 1);
    for ($i = 0; $i < count($args); $i++) {
        $arg = $args[$i];
        if (preg_match('/^--([a-z-]+)=(.*)$/s', $arg, $m) === 1) {
            $options[$m[1]] = $m[2];
        } elseif (preg_match('/^--([a-z-]+)$/', $arg, $m) === 1) {
            if ($m[1] === 'help') {
                $options['help'] = '1';
            } elseif (isset($args[$i + 1])) {
                $options[$m[1]] = $args[++$i];
            } else {
                fwrite(STDERR, "demo: --{$m[1]} needs a value\n");
                exit(2);
            }
        } else {
            fwrite(STDERR, "demo: unexpected argument {$arg} (see --help)\n");
            exit(2);
        }
    }

    return $options;
}

function demo_env(string $name): ?string
{
    $value = getenv($name);

    return is_string($value) && $value !== '' ? $value : null;
}

/**
 * ANSI colour only on a terminal.
 */
function paint(string $text, string $code): string
{
    static $tty = null;
    if ($tty === null) {
        $tty = function_exists('stream_isatty') && stream_isatty(STDOUT) && getenv('NO_COLOR') === false;
    }

    return $tty ? "\033[{$code}m{$text}\033[0m" : $text;
}

function section(string $title): void
{
    echo "\n", paint('== ' . $title, '1'), "\n";
}

function line(string $label, string $value): void
{
    printf("  %-20s %s\n", $label, $value);
}

/**
 * Display width of a UTF-8 string (mbstring may be absent).
 */
function width(string $text): int
{
    return function_exists('mb_strlen') ? mb_strlen($text, 'UTF-8') : (int) preg_match_all('/./us', $text);
}

/**
 * @param list<array{0: string, 1: string, 2: string, 3: bool}> $rows
 */
function table(array $rows): void
{
    $headers = ['Step', 'Expected', 'Observed', ''];
    $widths = array_map('width', $headers);
    foreach ($rows as $row) {
        for ($c = 0; $c < 3; $c++) {
            $widths[$c] = max($widths[$c], width($row[$c]));
        }
    }
    $widths[3] = 4;
    $rule = '  +' . implode('+', array_map(static function (int $w): string {
        return str_repeat('-', $w + 2);
    }, $widths)) . "+\n";
    $format = static function (array $cells) use ($widths): string {
        $out = '  |';
        foreach ($cells as $c => $cell) {
            $out .= ' ' . $cell . str_repeat(' ', $widths[$c] - width($cell)) . ' |';
        }

        return $out . "\n";
    };
    echo $rule, $format($headers), $rule;
    foreach ($rows as $row) {
        echo $format([$row[0], $row[1], $row[2], $row[3] ? 'ok' : 'FAIL']);
    }
    echo $rule;
}

/**
 * @param array<string, mixed> $value
 */
function pretty(array $value, string $indent = '  '): string
{
    $json = (string) json_encode($value, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);

    return $indent . str_replace("\n", "\n" . $indent, $json);
}

function describe_error(EntraException $e): string
{
    $parts = ['kind=' . $e->kind()];
    foreach (['field' => $e->field(), 'http' => $e->httpStatus() === null ? null : (string) $e->httpStatus(), 'request-id' => $e->requestId()] as $k => $v) {
        if ($v !== null) {
            $parts[] = $k . '=' . $v;
        }
    }

    return implode(' ', $parts) . ': ' . $e->getMessage();
}

$options = demo_options($argv);
if (isset($options['help'])) {
    echo "usage: php scripts/demo.php --library=PATH --header=PATH --emulator=URL [--users=500] [--chunk=100] [--tag=TEXT]\n";
    exit(0);
}
$library = $options['library'] ?? demo_env('ENTRA_LIBRARY') ?? FfiLoader::defaultLibraryPath();
$header = $options['header'] ?? demo_env('ENTRA_HEADER') ?? FfiLoader::defaultHeaderPath();
$url = $options['emulator'] ?? $options['url'] ?? demo_env('ENTRA_EMULATOR_URL') ?? demo_env('EMULATOR_URL');
$bulkCount = max(1, (int) ($options['users'] ?? 500));
$chunkSize = max(1, min(1000, (int) ($options['chunk'] ?? 100)));
$tag = strtolower($options['tag'] ?? base_convert((string) time(), 10, 36));
if (preg_match('/^[a-z0-9]{1,12}$/', $tag) !== 1) {
    fwrite(STDERR, "demo: --tag must be 1-12 letters or digits\n");
    exit(2);
}
if ($url === null) {
    fwrite(STDERR, "demo: no emulator URL: pass --emulator=URL or set ENTRA_EMULATOR_URL (make demo does it)\n");
    exit(2);
}
$url = rtrim($url, '/');

/** @var list<array{0: string, 1: string, 2: string, 3: bool}> $summary */
$summary = [];
$stopped = false;
$check = static function (string $step, string $expected, string $observed, bool $ok) use (&$summary): void {
    $summary[] = [$step, $expected, $observed, $ok];
};

echo paint('entra_provisioning demo', '1'), ": Drupal accounts → Microsoft Entra ID, through PHP FFI and the Rust library\n";

// ---------------------------------------------------------------------------
section('Environment');
$env = FfiLoader::environment($library, $header);
line('PHP', PHP_VERSION . ' (' . PHP_SAPI . ')');
line('ffi.enable', (string) ($env['ffi_enable'] ?? '(ext-ffi missing)'));
line('FFI mode', $env['mode'] . ' — ' . $env['reason']);
if (!FfiLoader::isUsable($env)) {
    fwrite(STDERR, "demo: the native library cannot be loaded in this PHP: {$env['reason']}\n");
    exit(1);
}
$config = [
    'tenant_id' => DEMO_TENANT,
    'client_id' => DEMO_CLIENT_ID,
    'client_secret' => demo_env('ENTRA_CLIENT_SECRET') ?? 'emulator-secret',
    'primary_domain' => DEMO_DOMAIN,
    'cloud' => 'global',
    'login_endpoint' => $url,
    'graph_endpoint' => $url,
    'timeout_ms' => 10000,
    'max_retries' => 5,
    'max_concurrency' => 4,
    'mapping' => [
        'upn_source' => 'name',
        // A Drupal field; an empty one falls back to the account name.
        'display_name_field' => 'field_display_name',
        'force_change_password' => true,
        'properties' => [
            'field_first_name' => 'givenName',
            'field_last_name' => 'surname',
            'field_department' => 'department',
        ],
    ],
];

try {
    $native = new EntraNative($config, $library, $header);
    unset($config);
    $info = $native->info();
    line('Library', (string) ($info['library'] ?? '(from the preloaded FFI scope)'));
    line('Header', (string) ($info['header'] ?? '(preloaded)'));
    line('Library version', $info['version']);
    line('ABI', sprintf('%d (binding expects %d)', $info['abi_version'], FfiLoader::ABI_VERSION));
    $check('Load library', 'ABI ' . FfiLoader::ABI_VERSION, $info['mode'] . ', ABI ' . $info['abi_version'], $info['abi_version'] === FfiLoader::ABI_VERSION);

    // -----------------------------------------------------------------------
    section('Connection');
    $effective = $native->connect();
    line('Cloud', (string) ($effective['cloud'] ?? '?'));
    line('Token endpoint', (string) ($effective['token_url'] ?? '?'));
    line('Graph endpoint', (string) ($effective['graph_endpoint'] ?? '?'));
    try {
        $connection = $native->testConnection(DEMO_SEEDED_UPN);
        line('Test user', DEMO_SEEDED_UPN);
        line('Request id', (string) ($connection['request_id'] ?? '-'));
        echo "  Attributes received:\n";
        foreach ($connection['attributes'] as $name => $value) {
            printf("    %-18s %s\n", $name, json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));
        }
        $upn = (string) ($connection['attributes']['userPrincipalName'] ?? '');
        $check('Test connection', 'reads ' . DEMO_SEEDED_UPN, $upn !== '' ? 'read ' . $upn : 'no UPN', strcasecmp($upn, DEMO_SEEDED_UPN) === 0);
    } catch (EntraException $e) {
        line('Failed', describe_error($e));
        if ($e->hint() !== null) {
            line('Hint', $e->hint());
        }
        $check('Test connection', 'reads ' . DEMO_SEEDED_UPN, $e->kind() . ' error', false);
        // Nothing else can work without a connection: stop here rather than retry 500 users.
        $stopped = true;
        throw $e;
    }

    // -----------------------------------------------------------------------
    section('Provisioning three Drupal users');
    $samples = [
        [
            'expect' => 'created',
            'user' => ['uid' => 101, 'name' => "jane.doe.{$tag}", 'mail' => "jane.doe.{$tag}@example.com", 'status' => 1,
                'roles' => ['authenticated', 'editor'], 'fields' => ['field_display_name' => 'Jane Doe', 'field_first_name' => 'Jane', 'field_last_name' => 'Doe', 'field_department' => 'Editorial']],
        ],
        [
            'expect' => 'match pending',
            'user' => ['uid' => 102, 'name' => 'adele', 'mail' => 'adele@contoso.com', 'status' => 1,
                'roles' => ['authenticated'], 'fields' => ['field_display_name' => 'Adele Vance', 'field_first_name' => 'Adele', 'field_last_name' => 'Vance']],
        ],
        [
            'expect' => 'rejected',
            'user' => ['uid' => 103, 'name' => '+++', 'mail' => 'plus@example.com', 'status' => 1, 'roles' => ['authenticated'], 'fields' => []],
        ],
    ];
    $created = [];
    foreach ($samples as $sample) {
        $user = $sample['user'];
        $label = sprintf('uid %d %s', $user['uid'], var_export($user['name'], true));
        try {
            $result = $native->provisionUser($user);
            printf("  %s %s → %s (id %s)\n", paint(str_pad($result['action'], 9), '32'), $label, $result['userPrincipalName'] ?? '?', $result['id']);
            $created[$user['uid']] = ['id' => (string) $result['id'], 'roles' => $user['roles']];
            if ($result['updated_properties'] !== []) {
                printf("            brought in step: %s\n", implode(', ', $result['updated_properties']));
            }
            $check('Provision ' . $label, $sample['expect'], $result['action'], $result['action'] === $sample['expect']);
        } catch (ConflictException $e) {
            // A registrant named "adele" maps to the UPN of the tenant's Adele
            // Vance: nothing is linked or sent to her account until an admin
            // approves (here the demo plays the admin).
            $existing = $e->existing();
            printf("  %s %s → %s already exists (%s); nothing was sent to it\n", paint(str_pad('match', 9), '33'), $label, $existing['userPrincipalName'] ?? '?', $existing['displayName'] ?? '-');
            $decision = $native->decide(['decide' => 'entra_candidate', 'policy' => 'review',
                'account' => ['uid' => $user['uid'], 'roles' => $user['roles'], 'status' => $user['status']],
                'candidate' => $existing ?? [], 'candidate_linked_uid' => null]);
            printf("            decision: %s (%s)\n", $decision['outcome'], implode('; ', $decision['reasons']));
            $check('Provision ' . $label, $sample['expect'], $decision['outcome'] === 'review' ? 'match pending' : $decision['outcome'], $decision['outcome'] === 'review');
            $approved = $native->linkUser((string) ($existing['id'] ?? ''), $user);
            printf("  %s %s → %s after an admin's approval; profile written: %s (never mail or accountEnabled)\n", paint(str_pad('linked', 9), '32'), $label, $approved['userPrincipalName'] ?? '?', implode(', ', $approved['updated_properties']) ?: 'nothing');
            $check('Approve the match of ' . $label, 'linked, profile only', 'linked: ' . implode(', ', $approved['updated_properties']), $approved['action'] === 'linked' && !in_array('mail', $approved['updated_properties'], true) && !in_array('accountEnabled', $approved['updated_properties'], true));
        } catch (ValidationException $e) {
            printf("  %s %s\n", paint(str_pad('rejected', 9), '33'), $label);
            printf("            kind:  %s\n            field: %s\n            error: %s\n            hint:  %s\n", $e->kind(), $e->field() ?? '-', $e->getMessage(), $e->hint() ?? '-');
            $ok = $sample['expect'] === 'rejected' && $e->field() !== null && $e->hint() !== null;
            $check('Provision ' . $label, 'rejected (field, hint)', 'validation, field ' . ($e->field() ?? '-'), $ok);
        } catch (EntraException $e) {
            printf("  %s %s: %s\n", paint(str_pad('failed', 9), '31'), $label, describe_error($e));
            $check('Provision ' . $label, $sample['expect'], $e->kind() . ' error', false);
        }
    }

    // -----------------------------------------------------------------------
    section('Groups ↔ roles');
    // The role facts the module gathers from Drupal (Role::isAdmin(), "restrict access" permissions).
    $roleFacts = ['editor' => ['is_admin' => false, 'restricted' => false], 'staff' => ['is_admin' => false, 'restricted' => false],
        'administrator' => ['is_admin' => true, 'restricted' => true]];
    // Entra ID → Drupal: Megan is in "Paris engineers", nested in "Engineering", which gives "editor".
    $importRules = [['group_id' => DEMO_GROUP_ENGINEERING, 'role' => 'editor', 'confirmed' => false]];
    $page = $native->importDelta(['groups' => ['ids' => [DEMO_GROUP_ENGINEERING]]]);
    $meganOf = null;
    foreach ($page['changes'] as $change) {
        if (strcasecmp((string) ($change['userPrincipalName'] ?? ''), DEMO_MEGAN_UPN) === 0) {
            $meganOf = $change['member_of'] ?? [];
        }
    }
    line('Tracked groups', implode(', ', $page['groups']['tracked_group_ids'] ?? []));
    line('Megan member of', $meganOf === null ? '(not in the import)' : (implode(', ', $meganOf) ?: 'no mapped group'));
    $changes = $native->decide(['decide' => 'role_changes', 'rules' => $importRules, 'strict' => true,
        'account' => ['uid' => 201, 'roles' => ['authenticated']], 'member_of' => $meganOf ?? [], 'role_facts' => $roleFacts]);
    foreach ($changes['grant'] as $grant) {
        printf("  %s uid 201 (megan) gets %s: member of Engineering (%s), through the nested Paris engineers\n", paint(str_pad('granted', 9), '32'), $grant['role'], $grant['group_id']);
    }
    $granted = array_column($changes['grant'], 'role');
    $check('Group → role (nested)', 'megan granted editor', $granted === [] ? 'nothing granted' : 'granted ' . implode(', ', $granted), $granted === ['editor']);
    $admin = $native->decide(['decide' => 'role_changes', 'rules' => [['group_id' => DEMO_GROUP_ENGINEERING, 'role' => 'administrator', 'confirmed' => false]],
        'strict' => false, 'account' => ['uid' => 201, 'roles' => ['authenticated']], 'member_of' => $meganOf ?? [], 'role_facts' => $roleFacts]);
    $reason = (string) ($admin['refused_rules'][0]['reason'] ?? 'none');
    line('Unconfirmed admin', $reason . ': ' . (string) ($admin['refused_rules'][0]['message'] ?? ''));
    $check('Group → admin role', 'needs confirmation', $admin['grant'] === [] ? $reason : 'granted', $admin['grant'] === [] && $reason === 'confirmation_required');

    // Drupal → Entra ID: Jane gains the "staff" role, which maps to "Drupal staff".
    $jane = $created[101] ?? null;
    if ($jane !== null) {
        $provisionRules = [['role' => 'staff', 'group_id' => DEMO_GROUP_STAFF]];
        $membership = $native->decide(['decide' => 'membership_changes', 'rules' => $provisionRules,
            'roles_before' => $jane['roles'], 'roles_after' => array_merge($jane['roles'], ['staff'])]);
        $actions = [];
        foreach ($membership['add'] as $add) {
            $first = $native->groupMembership('add', $add['group_id'], $jane['id']);
            $again = $native->groupMembership('add', $add['group_id'], $jane['id']);
            $actions = [$first['action'], $again['action']];
            printf("  %s jane.doe.%s (role %s) → group %s; a repeated add: %s\n", paint(str_pad($first['action'], 9), '32'), $tag, $add['role'], $add['group_id'], $again['action']);
        }
        $members = $native->groups(['op' => 'members', 'group_id' => DEMO_GROUP_STAFF])['user_ids'];
        $check('Role → group', 'added, then already_member', implode(', ', $actions) ?: 'no change', $actions === ['added', 'already_member'] && in_array($jane['id'], $members, true));
    } else {
        $check('Role → group', 'added, then already_member', 'jane was not created', false);
    }

    // -----------------------------------------------------------------------
    section('map_user preview (what would be POSTed; no network)');
    $preview = $native->mapUser(['uid' => 104, 'name' => 'Zoë Ærøskøbing', 'mail' => 'zoe@example.com', 'status' => 1,
        'roles' => ['authenticated'], 'fields' => ['field_display_name' => 'Zoë Ærøskøbing', 'field_first_name' => 'Zoë', 'field_last_name' => 'Ærøskøbing', 'field_department' => "O'Brien & Partners"]]);
    echo pretty($preview), "\n";
    $redacted = ($preview['passwordProfile']['password'] ?? null) === '[REDACTED]';
    $check('map_user preview', 'password [REDACTED]', $redacted ? 'redacted' : 'NOT redacted', $redacted);

    // -----------------------------------------------------------------------
    section(sprintf('Bulk provisioning %d users in chunks of %d', $bulkCount, $chunkSize));
    $departments = ['Sales', 'Marketing', 'Engineering', 'Support', 'Finance'];
    $totals = ['created' => 0, 'failed' => 0];
    $failures = [];
    $start = microtime(true);
    for ($offset = 0; $offset < $bulkCount; $offset += $chunkSize) {
        $chunk = [];
        for ($i = $offset; $i < min($bulkCount, $offset + $chunkSize); $i++) {
            $chunk[] = ['uid' => 10000 + $i, 'name' => sprintf('bulk.%s.%04d', $tag, $i), 'mail' => sprintf('bulk.%s.%04d@example.com', $tag, $i),
                'status' => 1, 'roles' => ['authenticated'],
                'fields' => ['field_display_name' => sprintf('Bulk User %04d', $i), 'field_first_name' => 'Bulk', 'field_last_name' => sprintf('User %04d', $i), 'field_department' => $departments[$i % 5]]];
        }
        $result = $native->bulkProvision($chunk);
        foreach ($totals as $key => $n) {
            $totals[$key] = $n + (int) ($result['summary'][$key] ?? 0);
        }
        foreach ($result['results'] as $entry) {
            if (empty($entry['ok'])) {
                $failures[] = sprintf('uid %s: %s', $entry['uid'] ?? '?', $entry['error']['message'] ?? '?');
            }
        }
        $done = min($bulkCount, $offset + $chunkSize);
        $elapsed = microtime(true) - $start;
        $bar = str_repeat('#', (int) round(30 * $done / $bulkCount));
        printf("\r  [%-30s] %4d/%d  created %d  failed %d  %7.1f users/s", $bar, $done, $bulkCount, $totals['created'], $totals['failed'], $done / max($elapsed, 1e-6));
    }
    $elapsed = microtime(true) - $start;
    echo "\n";
    $rate = $bulkCount / max($elapsed, 1e-6);
    line('Elapsed', sprintf('%.2f s', $elapsed));
    line('Throughput', sprintf('%.1f users/s', $rate));
    foreach (array_slice($failures, 0, 5) as $failure) {
        line('Failure', $failure);
    }
    $check('Bulk provision', sprintf('%d created, 0 failed', $bulkCount), sprintf('%d created, %d failed (%.0f users/s)', $totals['created'], $totals['failed'], $rate), $totals['created'] === $bulkCount && $totals['failed'] === 0);

    $probe = sprintf('bulk.%s.%04d@%s', $tag, $bulkCount - 1, DEMO_DOMAIN);
    $found = $native->findUser(['upn' => $probe]);
    $check('Find last bulk user', 'found', $found['found'] ? 'found (' . ($found['user']['department'] ?? '-') . ')' : 'not found', $found['found'] === true);
} catch (EntraException $e) {
    echo "\n";
    fwrite(STDERR, 'demo: ' . get_class($e) . ': ' . describe_error($e) . "\n");
    if ($e->hint() !== null) {
        fwrite(STDERR, '      hint: ' . $e->hint() . "\n");
    }
    if (!$stopped) {
        $check('Unexpected error', 'none', $e->kind(), false);
    }
}

// ---------------------------------------------------------------------------
section('Summary');
table($summary);
$failed = count(array_filter($summary, static function (array $row): bool {
    return !$row[3];
}));
if ($failed > 0) {
    echo "\n", paint("demo: {$failed} step(s) did not behave as expected", '31'), "\n";
    exit(1);
}
echo "\n", paint('demo: every step behaved as expected', '32'), "\n";
exit(0);
