<?php

/**
 * @file
 * Loads a module folder laid out as a release (lib/linux-<arch>/, lib/entra_provisioning.h) the
 * way a site does, with no configuration: no ENTRA_LIBRARY, no ENTRA_HEADER, no settings.php
 * path. Used by `make dist` on the extracted tarball and by `make test` on a staged module:
 *
 *   php -d ffi.enable=preload scripts/dist/smoke.php --module=DIR --version=0.1.0
 *
 * Checks, through the module's own classes (not the repository's): the binding picks
 * lib/linux-<this machine>/, its ABI version is the one the binding expects, entra_version() is
 * the release's version, map_user answers (offline: no request is sent), a panic is contained,
 * and the status report's library and release lines are OK. Exit code 0 only if all hold.
 */

declare(strict_types=1);

$options = getopt('', ['module:', 'version:']);
$module = is_string($options['module'] ?? null) ? rtrim($options['module'], '/') : '';
$version = is_string($options['version'] ?? null) ? $options['version'] : '';
if ($module === '' || $version === '' || !is_file($module . '/preload.php')) {
    fwrite(STDERR, "usage: php scripts/dist/smoke.php --module=DIR --version=X.Y.Z (DIR holds preload.php)\n");
    exit(2);
}
foreach (['ENTRA_LIBRARY', 'ENTRA_HEADER'] as $name) {
    if (getenv($name) !== false) {
        // "No configuration" is the point: the module must find its library by itself.
        putenv($name);
    }
}

// The module's classes, from the module folder under test: the binding as preload.php loads
// it, and the rest through a PSR-4 autoloader as Drupal's would.
require_once $module . '/preload.php';
spl_autoload_register(static function (string $class) use ($module): void {
    $prefix = 'Drupal\\entra_provisioning\\';
    if (str_starts_with($class, $prefix)) {
        $file = $module . '/src/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require_once $file;
        }
    }
});

use Drupal\entra_provisioning\Native\EntraNative;
use Drupal\entra_provisioning\Native\Exception\NativePanicException;
use Drupal\entra_provisioning\Native\FfiLoader;
use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\ConfigSourceInterface;
use Drupal\entra_provisioning\Provisioning\EntraNativeFactory;
use Drupal\entra_provisioning\Provisioning\RequirementsEvaluator;
use Drupal\entra_provisioning\Provisioning\SecretKeyRepositoryInterface;
use Drupal\entra_provisioning\Provisioning\StateStoreInterface;

$failures = [];
$check = static function (bool $ok, string $what) use (&$failures): void {
    echo ($ok ? 'ok   ' : 'FAIL ') . $what . "\n";
    if (!$ok) {
        $failures[] = $what;
    }
};

$realModule = (string) realpath($module);
$loaded = (new ReflectionClass(FfiLoader::class))->getFileName();
$check(
    $loaded === $realModule . '/src/Native/FfiLoader.php',
    'the binding comes from the module under test (' . $loaded . ')'
);
$release = FfiLoader::releaseDirectory(PHP_OS_FAMILY, php_uname('m'));
$expected = $realModule . '/lib/' . $release . '/' . FfiLoader::LIBRARY_FILE;

try {
    // The binding's own default (as Drush or the preload header renderer use it).
    $native = new EntraNative([
        'tenant_id' => '11111111-2222-3333-4444-555555555555',
        'client_id' => 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
        'client_secret' => 'offline-smoke-secret',
        'primary_domain' => 'contoso.onmicrosoft.com',
        // Never contacted: map_user sends nothing.
        'login_endpoint' => 'http://127.0.0.1:9',
        'graph_endpoint' => 'http://127.0.0.1:9',
    ]);
    $info = $native->info();
    $check(realpath((string) $info['library']) === $expected, 'loads ' . $info['library'] . ' (php_uname m = ' . php_uname('m') . ')');
    $check($info['abi_version'] === FfiLoader::ABI_VERSION, 'ABI version ' . $info['abi_version'] . ' (binding expects ' . FfiLoader::ABI_VERSION . ')');
    $check($info['version'] === $version, 'entra_version() ' . $info['version'] . ' (release ' . $version . ')');
    $mapped = $native->mapUser(['uid' => 7, 'name' => 'Zoë Smoke', 'mail' => 'zoe@example.com', 'status' => 1]);
    $check(
        ($mapped['userPrincipalName'] ?? null) === 'Zoe.Smoke@contoso.onmicrosoft.com',
        'map_user: ' . json_encode($mapped['userPrincipalName'] ?? null)
    );
    // The release library carries zig's unwinder instead of the host's libgcc_s: a panic must
    // still unwind to the C boundary and come back as an exception, the client usable after it.
    try {
        $native->selfTestPanic();
        $check(false, 'entra_selftest_panic returned normally');
    } catch (NativePanicException $e) {
        $again = $native->mapUser(['uid' => 8, 'name' => 'after panic', 'mail' => 'a@example.com', 'status' => 1]);
        $check(($again['userPrincipalName'] ?? null) === 'after.panic@contoso.onmicrosoft.com', 'a panic is contained: ' . $e->getMessage());
    }
    $native->close();
} catch (Throwable $e) {
    $check(false, 'the binding loads the library: ' . get_class($e) . ': ' . $e->getMessage());
}

// The path Drupal takes: no settings.php override, the module directory from Drupal.
$source = new class ($realModule) implements ConfigSourceInterface {
    public function __construct(private string $directory)
    {
    }

    public function moduleConfig(): array
    {
        return [];
    }

    public function siteSettings(): array
    {
        return [];
    }

    public function moduleDirectory(): string
    {
        return $this->directory;
    }
};
$state = new class () implements StateStoreInterface {
    public function get(string $key, $default = null)
    {
        return $default;
    }

    public function set(string $key, $value): void
    {
    }

    public function delete(string $key): void
    {
    }
};
$keys = new class () implements SecretKeyRepositoryInterface {
    public function isAvailable(): bool
    {
        return false;
    }

    public function getKeyValue(string $keyId): ?string
    {
        return null;
    }

    public function keyType(string $keyId): ?string
    {
        return null;
    }
};
$clients = new ClientFactory($source, $state, $keys, new EntraNativeFactory());
$check($clients->libraryPath() === $expected, 'the site resolves ' . $clients->libraryPath());
$check($clients->moduleVersion() === $version, 'the info file says version ' . var_export($clients->moduleVersion(), true));
$lines = [];
foreach (RequirementsEvaluator::fromFacts([
    'env' => $clients->environment(),
    'probe' => $clients->probe(),
    'library_path' => $clients->libraryPath(),
    'header_path' => $clients->headerPath(),
    'module_version' => $clients->moduleVersion(),
]) as $line) {
    $lines[$line['id']] = $line;
}
foreach (['library', 'abi', 'release'] as $id) {
    $line = $lines[$id] ?? ['severity' => 'missing', 'value' => '', 'description' => ''];
    $check($line['severity'] === RequirementsEvaluator::OK, sprintf('status report "%s": %s, %s %s', $id, $line['severity'], $line['value'], $line['description']));
}

if ($failures !== []) {
    fwrite(STDERR, 'smoke: ' . count($failures) . " check(s) failed\n");
    exit(1);
}
echo "smoke: the module in $module loads its library with no configuration\n";
