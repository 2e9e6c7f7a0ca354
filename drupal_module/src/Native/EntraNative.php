<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native;

use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\Exception\InvalidArgumentException;
use Drupal\entra_provisioning\Native\Exception\NativeUnavailableException;

/**
 * The PHP FFI binding of libentra_provisioning (the only PHP code that touches \FFI).
 *
 * One instance owns one native client (EntraClient*), created lazily from the
 * configuration on the first operation (or by connect()) and freed by
 * __destruct()/close(). The \FFI object is loaded lazily and shared per process.
 *
 * Three ways to load, chosen automatically (see environment()):
 *  - "preload": FFI::scope('ENTRA_PROVISIONING'), set up by
 *    ffi.preload=<PreloadHeader::render() output> and
 *    opcache.preload=drupal_module/preload.php. Works under FPM/Apache with
 *    the default ffi.enable=preload.
 *  - "cdef": FFI::cdef(<committed header>, <library>), allowed when
 *    ffi.enable=1, or ffi.enable=preload on the CLI (Drush), or when this
 *    class itself was preloaded.
 *  - "none": NativeUnavailableException saying what to change.
 *
 * Keep every \FFI call inside this class's own methods (no closures, no
 * helpers elsewhere): with ffi.enable=preload, PHP allows the FFI API only
 * to code that was preloaded.
 *
 * Dependency-free and Drupal-free on purpose, so opcache.preload can load it.
 */
final class EntraNative implements NativeClientInterface
{
    /**
     * The C ABI version this binding was written for (entra_abi_version()).
     *
     * 2: added entra_import_delta. 3: entra_link_user, entra_decide, budget_ms,
     * and a taken UPN is a conflict naming the existing account. 4:
     * entra_describe, "status" and "title" in every error, sync_status, the
     * user_update question, already_deleted from disable and enable.
     */
    public const ABI_VERSION = 4;

    /**
     * The FFI scope name the preload header declares.
     */
    public const SCOPE = 'ENTRA_PROVISIONING';

    public const MODE_PRELOAD = 'preload';
    public const MODE_CDEF = 'cdef';
    public const MODE_NONE = 'none';

    public const HEADER_FILE = 'entra_provisioning.h';

    private const JSON_ENCODE_FLAGS = JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE;

    private const FIX = 'set ffi.enable=1 for this SAPI, or use the preload setup '
        . '(ffi.preload=<preload header> + opcache.preload=drupal_module/preload.php): see README';

    /**
     * Loaded FFI instances, per mode/library/header, shared by all clients.
     *
     * @var array<string, \FFI>
     */
    private static array $loaded = [];

    /**
     * The configuration until the native client exists (then dropped).
     *
     * @var array<string, mixed>|null
     */
    private ?array $config;

    private ?string $libraryPath;

    private ?string $headerPath;

    private ?string $forcedMode;

    private ?\FFI $ffi = null;

    private string $activeMode = '';

    private ?\FFI\CData $client = null;

    /**
     * The OK JSON of entra_client_new (effective endpoints, no secret).
     *
     * @var array<string, mixed>|null
     */
    private ?array $clientInfo = null;

    private bool $closed = false;

    /**
     * The overall time budget of each following call (budget_ms), or null
     * for the library's default (call_budget_ms).
     */
    private ?int $callBudgetMs = null;

    /**
     * Nothing is loaded here; the library is loaded on first use.
     *
     * @param array<string, mixed> $config
     *   The client configuration (tenant_id, client_id, client_secret,
     *   primary_domain, cloud, ...), see README.
     * @param string|null $libraryPath
     *   Path of libentra_provisioning.so; null = defaultLibraryPath().
     *   Ignored in preload mode (the preload header names the library).
     * @param string|null $headerPath
     *   Path of the committed entra_provisioning.h; null = defaultHeaderPath().
     * @param string|null $mode
     *   Force MODE_PRELOAD or MODE_CDEF; null = automatic.
     */
    public function __construct(
        #[\SensitiveParameter]
        array $config,
        ?string $libraryPath = null,
        ?string $headerPath = null,
        ?string $mode = null
    ) {
        if ($mode !== null && $mode !== self::MODE_PRELOAD && $mode !== self::MODE_CDEF) {
            throw new \InvalidArgumentException(sprintf('Unknown FFI mode "%s" (expected "preload" or "cdef").', $mode));
        }
        $this->config = $config;
        $this->libraryPath = $libraryPath;
        $this->headerPath = $headerPath;
        $this->forcedMode = $mode;
    }

    /**
     * Creates the binding and the native client now, so configuration and
     * load errors surface immediately.
     *
     * @param array<string, mixed> $config
     *
     * @throws \Drupal\entra_provisioning\Native\Exception\NativeUnavailableException
     * @throws \Drupal\entra_provisioning\Native\Exception\ConfigException
     */
    public static function create(
        #[\SensitiveParameter]
        array $config,
        ?string $libraryPath = null,
        ?string $headerPath = null,
        ?string $mode = null
    ): self {
        $native = new self($config, $libraryPath, $headerPath, $mode);
        $native->connect();

        return $native;
    }

    public function __destruct()
    {
        $this->close();
    }

    /**
     * A native handle must not be duplicated (it would be freed twice).
     */
    private function __clone()
    {
    }

    /**
     * @return array<string, mixed>
     */
    public function __serialize(): array
    {
        throw new \LogicException(self::class . ' holds a native handle and cannot be serialized.');
    }

    /**
     * @param array<string, mixed> $data
     */
    public function __unserialize(array $data): void
    {
        throw new \LogicException(self::class . ' holds a native handle and cannot be unserialized.');
    }

    /**
     * Keeps the configuration (and its secret) out of var_dump()/print_r().
     *
     * @return array<string, mixed>
     */
    public function __debugInfo(): array
    {
        return [
            'libraryPath' => $this->libraryPath,
            'headerPath' => $this->headerPath,
            'mode' => $this->activeMode !== '' ? $this->activeMode : ($this->forcedMode ?? 'auto (not loaded)'),
            'connected' => $this->client !== null,
            'closed' => $this->closed,
            'config' => $this->config === null ? null : '[REDACTED]',
        ];
    }

    // ---------------------------------------------------------------------
    // Environment and loading.
    // ---------------------------------------------------------------------

    /**
     * Reports which load mode this process would use, or exactly why none.
     *
     * Does not load the library. Keys: mode, reason, sapi, php_version,
     * ffi_loaded, ffi_enable, ffi_preload, opcache_preload, scope_available,
     * class_preloaded, library, library_exists, header, header_exists,
     * expected_abi.
     *
     * @return array<string, mixed>
     */
    public static function environment(?string $libraryPath = null, ?string $headerPath = null): array
    {
        $ffiLoaded = extension_loaded('ffi') && class_exists(\FFI::class, false);
        $enable = $ffiLoaded ? ini_get('ffi.enable') : false;
        $preloadIni = $ffiLoaded ? (string) ini_get('ffi.preload') : '';
        $scope = $ffiLoaded && $preloadIni !== '' && self::scopeAvailable();
        $classPreloaded = self::classPreloaded();
        [$mode, $reason] = self::decideMode($ffiLoaded, $enable, PHP_SAPI, $scope, $classPreloaded === true);
        $library = $libraryPath ?? self::defaultLibraryPath();
        $header = $headerPath ?? self::defaultHeaderPath();

        return [
            'mode' => $mode,
            'reason' => $reason,
            'sapi' => PHP_SAPI,
            'php_version' => PHP_VERSION,
            'ffi_loaded' => $ffiLoaded,
            'ffi_enable' => $enable === false ? null : (string) $enable,
            'ffi_preload' => $preloadIni,
            'opcache_preload' => (string) ini_get('opcache.preload'),
            'scope_available' => $scope,
            'class_preloaded' => $classPreloaded,
            'library' => $mode === self::MODE_PRELOAD ? null : $library,
            'library_exists' => $mode === self::MODE_PRELOAD ? null : is_file($library),
            'header' => $mode === self::MODE_PRELOAD ? null : $header,
            'header_exists' => $mode === self::MODE_PRELOAD ? null : is_file($header),
            'expected_abi' => self::ABI_VERSION,
        ];
    }

    /**
     * The load mode this process would use: "preload", "cdef" or "none".
     */
    public static function ffiMode(): string
    {
        return self::environment()['mode'];
    }

    /**
     * Pure decision between the load modes (exposed for tests).
     *
     * @param string|false $ffiEnable
     *   ini_get('ffi.enable').
     *
     * @return array{0: string, 1: string}
     *   [mode, human-readable reason].
     *
     * @internal
     */
    public static function decideMode(bool $ffiLoaded, $ffiEnable, string $sapi, bool $scopeAvailable, bool $classPreloaded): array
    {
        if (!$ffiLoaded) {
            return [self::MODE_NONE, 'The PHP FFI extension is not loaded in this PHP (' . $sapi . '): '
                . 'enable ext-ffi (on Debian it ships in php8.x-common; check "extension=ffi" and that php was not started with -n).'];
        }
        if ($scopeAvailable) {
            return [self::MODE_PRELOAD, 'FFI scope ' . self::SCOPE . ' was preloaded by ffi.preload.'];
        }
        $value = strtolower(trim((string) $ffiEnable));
        if (self::iniTrue($value)) {
            return [self::MODE_CDEF, 'ffi.enable=' . $value . ' allows FFI::cdef everywhere.'];
        }
        if ($value === 'preload') {
            if ($sapi === 'cli') {
                return [self::MODE_CDEF, 'ffi.enable=preload allows FFI::cdef on the CLI.'];
            }
            if ($classPreloaded) {
                return [self::MODE_CDEF, 'ffi.enable=preload and this binding was preloaded by opcache.preload.'];
            }

            return [self::MODE_NONE, 'ffi.enable=preload restricts FFI under the "' . $sapi . '" SAPI to preloaded code, '
                . 'and neither the ' . self::SCOPE . ' FFI scope nor this binding is preloaded: ' . self::FIX . '.'];
        }

        return [self::MODE_NONE, 'ffi.enable=' . ($value === '' ? '0' : $value) . ' disables FFI: ' . self::FIX . '.'];
    }

    /**
     * Default library path: $ENTRA_LIBRARY, else the first existing of
     * drupal_module/lib/ (where "make module" puts it), <repo>/target/release/,
     * <repo>/target/debug/ (else the first, so the error names it).
     */
    public static function defaultLibraryPath(): string
    {
        $env = getenv('ENTRA_LIBRARY');
        if (is_string($env) && $env !== '') {
            return $env;
        }
        if (PHP_OS_FAMILY === 'Darwin') {
            $file = 'libentra_provisioning.dylib';
        } elseif (PHP_OS_FAMILY === 'Windows') {
            $file = 'entra_provisioning.dll';
        } else {
            $file = 'libentra_provisioning.so';
        }
        $module = dirname(__DIR__, 2);
        $repo = dirname($module);

        return self::firstExisting([
            $module . '/lib/' . $file,
            $repo . '/target/release/' . $file,
            $repo . '/target/debug/' . $file,
        ]);
    }

    /**
     * Default header path: $ENTRA_HEADER, else the first existing of
     * drupal_module/lib/ (where "make module" puts it), drupal_module/include/,
     * <repo>/include/ (the committed, cbindgen-generated header).
     */
    public static function defaultHeaderPath(): string
    {
        $env = getenv('ENTRA_HEADER');
        if (is_string($env) && $env !== '') {
            return $env;
        }
        $module = dirname(__DIR__, 2);

        return self::firstExisting([
            $module . '/lib/' . self::HEADER_FILE,
            $module . '/include/' . self::HEADER_FILE,
            dirname($module) . '/include/' . self::HEADER_FILE,
        ]);
    }

    /**
     * The mode actually used by this instance (loads the library if needed).
     */
    public function mode(): string
    {
        $this->ffi();

        return $this->activeMode;
    }

    /**
     * environment() plus what the loaded library reports.
     *
     * @return array<string, mixed>
     */
    public function info(): array
    {
        return ['mode' => $this->mode(), 'version' => $this->version(), 'abi_version' => $this->abiVersion()]
            + self::environment($this->libraryPath, $this->headerPath);
    }

    public function version(): string
    {
        return (string) $this->ffi()->entra_version();
    }

    public function abiVersion(): int
    {
        return (int) $this->ffi()->entra_abi_version();
    }

    /**
     * Loads (once per process) and returns the FFI instance.
     */
    private function ffi(): \FFI
    {
        if ($this->ffi !== null) {
            return $this->ffi;
        }
        if (!extension_loaded('ffi') || !class_exists(\FFI::class, false)) {
            throw new NativeUnavailableException(self::decideMode(false, false, PHP_SAPI, false, false)[1]);
        }
        $mode = $this->forcedMode;
        $reason = '';
        if ($mode === null) {
            $env = self::environment($this->libraryPath, $this->headerPath);
            $mode = $env['mode'];
            $reason = $env['reason'];
        }
        if ($mode === self::MODE_NONE) {
            throw new NativeUnavailableException('The Entra provisioning library cannot be used: ' . $reason);
        }

        if ($mode === self::MODE_PRELOAD) {
            $key = 'scope';
            if (!isset(self::$loaded[$key])) {
                try {
                    $ffi = \FFI::scope(self::SCOPE);
                } catch (\Throwable $e) {
                    throw new NativeUnavailableException(sprintf(
                        'FFI scope %s is not available (%s): set ffi.preload to the header rendered by PreloadHeader (scripts/render-preload-header.php) and opcache.preload=drupal_module/preload.php, see README.',
                        self::SCOPE,
                        $e->getMessage()
                    ), $e);
                }
                self::checkAbi($ffi, 'the library named by FFI_LIB in ' . (string) ini_get('ffi.preload'));
                self::$loaded[$key] = $ffi;
            }
        } else {
            $library = $this->libraryPath ?? self::defaultLibraryPath();
            $header = $this->headerPath ?? self::defaultHeaderPath();
            $key = 'cdef:' . $library . "\0" . $header;
            if (!isset(self::$loaded[$key])) {
                if (!is_file($header) || !is_readable($header)) {
                    throw new NativeUnavailableException(sprintf(
                        'The C header %s does not exist or is not readable (set the header path or ENTRA_HEADER; it is include/%s in the repository).',
                        $header,
                        self::HEADER_FILE
                    ));
                }
                if (str_contains($library, '/') && !is_file($library)) {
                    throw new NativeUnavailableException(sprintf(
                        'The native library %s does not exist (set the library path or ENTRA_LIBRARY; build it with "cargo build --release").',
                        $library
                    ));
                }
                $source = file_get_contents($header);
                if ($source === false) {
                    throw new NativeUnavailableException(sprintf('Could not read the C header %s.', $header));
                }
                try {
                    // The ABI first, with a one-function declaration: a library of
                    // another ABI would otherwise fail below on a missing symbol,
                    // with a less helpful message.
                    $probe = \FFI::cdef('uint32_t entra_abi_version(void);', $library);
                } catch (\Throwable $e) {
                    throw new NativeUnavailableException(sprintf(
                        'FFI could not load the library %s: %s',
                        $library,
                        $e->getMessage()
                    ), $e);
                }
                self::checkAbi($probe, $library);
                try {
                    $ffi = \FFI::cdef($source, $library);
                } catch (\Throwable $e) {
                    throw new NativeUnavailableException(sprintf(
                        'FFI could not load the library %s with the header %s: %s',
                        $library,
                        $header,
                        $e->getMessage()
                    ), $e);
                }
                self::$loaded[$key] = $ffi;
            }
        }
        $this->ffi = self::$loaded[$key];
        $this->activeMode = $mode;

        return $this->ffi;
    }

    private static function checkAbi(\FFI $ffi, string $what): void
    {
        $abi = (int) $ffi->entra_abi_version();
        if ($abi !== self::ABI_VERSION) {
            throw new NativeUnavailableException(sprintf(
                'ABI mismatch: %s implements ABI version %d, this PHP binding expects %d. Install the library and module from the same release.',
                $what,
                $abi,
                self::ABI_VERSION
            ));
        }
    }

    private static function scopeAvailable(): bool
    {
        try {
            \FFI::scope(self::SCOPE);

            return true;
        } catch (\Throwable $e) {
            return false;
        }
    }

    /**
     * Whether opcache.preload loaded this class (null: cannot tell).
     */
    private static function classPreloaded(): ?bool
    {
        if ((string) ini_get('opcache.preload') === '') {
            return false;
        }
        if (!function_exists('opcache_get_status')) {
            return null;
        }
        $status = @opcache_get_status(false);
        if (!is_array($status)) {
            return null;
        }
        $classes = $status['preload_statistics']['classes'] ?? null;
        if (!is_array($classes)) {
            return false;
        }
        foreach ($classes as $class) {
            if (is_string($class) && strcasecmp(ltrim($class, '\\'), self::class) === 0) {
                return true;
            }
        }

        return false;
    }

    private static function iniTrue(string $value): bool
    {
        if ($value === 'true' || $value === 'on' || $value === 'yes') {
            return true;
        }

        return is_numeric($value) && (int) $value !== 0;
    }

    /**
     * @param list<string> $candidates
     */
    private static function firstExisting(array $candidates): string
    {
        foreach ($candidates as $candidate) {
            if (is_file($candidate)) {
                return $candidate;
            }
        }

        return $candidates[0];
    }

    // ---------------------------------------------------------------------
    // Client lifecycle.
    // ---------------------------------------------------------------------

    /**
     * Creates the native client if not done yet.
     *
     * @return array<string, mixed>
     *   The library's description of the effective configuration (endpoints,
     *   cloud, ...; never the secret).
     *
     * @throws \Drupal\entra_provisioning\Native\Exception\ConfigException
     */
    public function connect(): array
    {
        if ($this->client !== null && $this->clientInfo !== null) {
            return $this->clientInfo;
        }
        if ($this->closed || $this->config === null) {
            throw new \LogicException('This EntraNative client was closed; create a new one.');
        }
        $ffi = $this->ffi();
        $secrets = [];
        $candidates = [$this->config['client_secret'] ?? null, $this->config['client_certificate']['private_key_pem'] ?? null];
        foreach ($candidates as $value) {
            if (is_string($value) && $value !== '') {
                $secrets[] = $value;
            }
        }
        $json = self::encode($this->config, 'the client configuration');
        $handle = $ffi->new('EntraClient*');
        $out = $ffi->new('char*');
        $status = (int) $ffi->entra_client_new($json, \FFI::addr($handle), \FFI::addr($out));
        $info = $this->checkStatus('entra_client_new', $status, $out, $secrets);
        if (\FFI::isNull($handle)) {
            throw new EntraException('entra_client_new returned OK without a client handle.', 'internal', $status, [], 'entra_client_new');
        }
        $this->client = $handle;
        $this->clientInfo = $info;
        $this->config = null;

        return $info;
    }

    /**
     * Frees the native client; the instance cannot be used afterwards.
     */
    public function close(): void
    {
        if ($this->client !== null && $this->ffi !== null) {
            $client = $this->client;
            $this->client = null;
            $this->ffi->entra_client_free($client);
        }
        $this->config = null;
        $this->closed = true;
    }

    // ---------------------------------------------------------------------
    // Operations.
    // ---------------------------------------------------------------------

    public function testConnection(string $upn, array $directions = []): array
    {
        return $this->invoke('entra_test_connection', ['upn' => $upn, 'directions' => array_values($directions)]);
    }

    public function mapUser(array $drupalUser): array
    {
        return $this->invoke('entra_map_user', self::listRoles($drupalUser));
    }

    public function findUser(array $query): array
    {
        return $this->invoke('entra_find_user', $query);
    }

    public function provisionUser(array $drupalUser): array
    {
        return $this->invoke('entra_provision_user', self::listRoles($drupalUser));
    }

    public function updateUser(string $entraId, array $drupalUser, ?array $link = null, bool $syncMail = false, bool $syncStatus = true): array
    {
        $request = ['entra_id' => $entraId, 'user' => self::listRoles($drupalUser), 'sync_mail' => $syncMail, 'sync_status' => $syncStatus];
        if ($link !== null) {
            $request['link'] = $link;
        }

        return $this->invoke('entra_update_user', $request);
    }

    public function linkUser(string $entraId, array $drupalUser): array
    {
        return $this->invoke('entra_link_user', ['entra_id' => $entraId, 'user' => self::listRoles($drupalUser)]);
    }

    public function decide(array $question): array
    {
        $ffi = $this->ffi();
        $json = self::encode($question, 'the question for entra_decide');
        $out = $ffi->new('char*');
        $status = (int) $ffi->entra_decide($json, \FFI::addr($out));

        return $this->checkStatus('entra_decide', $status, $out);
    }

    public function setCallBudgetMs(?int $milliseconds): void
    {
        $this->callBudgetMs = $milliseconds !== null ? max(1, $milliseconds) : null;
    }

    public function disableUser(string $entraId): array
    {
        return $this->invoke('entra_disable_user', ['entra_id' => $entraId]);
    }

    public function enableUser(string $entraId): array
    {
        return $this->invoke('entra_enable_user', ['entra_id' => $entraId]);
    }

    public function deleteUser(string $entraId): array
    {
        return $this->invoke('entra_delete_user', ['entra_id' => $entraId]);
    }

    public function bulkProvision(array $drupalUsers): array
    {
        $users = [];
        foreach ($drupalUsers as $user) {
            if (!is_array($user)) {
                throw new InvalidArgumentException('bulkProvision() expects a list of Drupal user arrays.', 'invalid_argument', -1, [], 'entra_bulk_provision');
            }
            $users[] = self::listRoles($user);
        }

        return $this->invoke('entra_bulk_provision', ['users' => $users]);
    }

    public function importDelta(array $request = []): array
    {
        return $this->invoke('entra_import_delta', $request);
    }

    /**
     * Counters of this client (token requests, Graph requests, throttled
     * answers, retries), from entra_client_stats.
     *
     * @return array<string, mixed>
     */
    public function clientStats(): array
    {
        if ($this->client === null) {
            $this->connect();
        }
        $ffi = $this->ffi();
        $out = $ffi->new('char*');
        $status = (int) $ffi->entra_client_stats($this->client, \FFI::addr($out));

        return $this->checkStatus('entra_client_stats', $status, $out);
    }

    /**
     * Diagnostic: makes the library panic inside its FFI guard.
     *
     * @throws \Drupal\entra_provisioning\Native\Exception\NativePanicException
     *   Always, if the guard works (otherwise the process aborts).
     */
    /**
     * The Graph properties a Drupal field may be mapped to (no client needed).
     *
     * @return array<string, mixed>
     *   ['properties' => [['name' => 'jobTitle', 'max_length' => 128], ...],
     *    'fixed' => ['userPrincipalName', ...]]
     */
    public function mappableProperties(): array
    {
        $ffi = $this->ffi();
        $out = $ffi->new('char*');
        $status = (int) $ffi->entra_mapping_properties(\FFI::addr($out));

        return $this->checkStatus('entra_mapping_properties', $status, $out);
    }

    /**
     * What the library says about itself (no client needed): its statuses
     * and kinds, configuration defaults, ranges and required fields, limits,
     * clouds and directions. See entra_describe in the header.
     *
     * @return array<string, mixed>
     */
    public function describe(): array
    {
        $ffi = $this->ffi();
        $out = $ffi->new('char*');
        $status = (int) $ffi->entra_describe(\FFI::addr($out));

        return $this->checkStatus('entra_describe', $status, $out);
    }

    public function selfTestPanic(): void
    {
        $ffi = $this->ffi();
        $out = $ffi->new('char*');
        $status = (int) $ffi->entra_selftest_panic(\FFI::addr($out));
        $this->checkStatus('entra_selftest_panic', $status, $out);

        throw new \LogicException('entra_selftest_panic returned OK; it should always report a panic.');
    }

    /**
     * Calls one `EntraStatus f(EntraClient*, const char*, char**)` export.
     *
     * @param array<mixed> $payload
     *
     * @return array<string, mixed>
     */
    private function invoke(string $function, array $payload): array
    {
        if ($this->client === null) {
            $this->connect();
        }
        if ($this->callBudgetMs !== null) {
            $payload['budget_ms'] = $this->callBudgetMs;
        }
        $json = self::encode($payload, 'the request for ' . $function);
        $ffi = $this->ffi();
        $out = $ffi->new('char*');
        $status = (int) $ffi->{$function}($this->client, $json, \FFI::addr($out));

        return $this->checkStatus($function, $status, $out);
    }

    /**
     * The one place where a status becomes a result or a typed exception.
     *
     * Always frees the native string (entra_string_free, never FFI::free).
     *
     * @param \FFI\CData $out
     *   The char* out-parameter after the call.
     * @param list<string> $redact
     *   Values that must not appear in an exception (defence in depth).
     *
     * @return array<string, mixed>
     *   The decoded result JSON on ENTRA_STATUS_OK.
     */
    private function checkStatus(
        string $function,
        int $status,
        \FFI\CData $out,
        #[\SensitiveParameter]
        array $redact = []
    ): array {
        $json = null;
        $isNull = \FFI::isNull($out);
        try {
            if (!$isNull) {
                $json = \FFI::string($out);
            }
        } finally {
            if (!$isNull) {
                $this->ffi()->entra_string_free($out);
            }
        }

        if ($status === Status::OK) {
            if ($json === null) {
                throw new EntraException($function . ' returned OK without a result (the library could not allocate it).', 'internal', $status, [], $function);
            }
            try {
                $result = json_decode($json, true, 512, JSON_THROW_ON_ERROR);
            } catch (\JsonException $e) {
                throw new EntraException($function . ' returned a result that is not valid JSON: ' . $e->getMessage(), 'internal', $status, [], $function, $e);
            }
            if (!is_array($result)) {
                throw new EntraException($function . ' returned a result that is not a JSON object or array.', 'internal', $status, [], $function);
            }

            return $result;
        }

        $error = [];
        if ($json === null) {
            $error['message'] = sprintf('%s failed with status %d; the library could not allocate the error message.', $function, $status);
        } else {
            try {
                $decoded = json_decode($json, true, 512, JSON_THROW_ON_ERROR);
                $error = is_array($decoded) ? $decoded : ['message' => $function . ' returned an error that is not a JSON object.'];
            } catch (\JsonException $e) {
                $error = ['message' => $function . ' returned an error that is not valid JSON.'];
            }
        }
        if ($redact !== []) {
            $error = self::redact($error, $redact);
        }

        throw EntraException::fromStatus($status, $error, $function);
    }

    // ---------------------------------------------------------------------
    // JSON helpers.
    // ---------------------------------------------------------------------

    /**
     * @param mixed $value
     */
    private static function encode(
        #[\SensitiveParameter]
        $value,
        string $what
    ): string {
        try {
            return json_encode($value, self::JSON_ENCODE_FLAGS);
        } catch (\JsonException $e) {
            // The JSON error message never contains the offending value.
            throw new InvalidArgumentException('Could not encode ' . $what . ' as JSON: ' . $e->getMessage(), 'invalid_argument', -1, [], 'json_encode');
        }
    }

    /**
     * Roles keyed by role id (as some callers keep them) would encode as a
     * JSON object; the library expects a list. An empty map needs nothing:
     * the library reads PHP's `[]` as an empty object wherever it expects one.
     *
     * @param array<string, mixed> $user
     *
     * @return array<string, mixed>
     */
    private static function listRoles(array $user): array
    {
        if (isset($user['roles']) && is_array($user['roles'])) {
            $user['roles'] = array_values($user['roles']);
        }

        return $user;
    }

    /**
     * Replaces secret values in every string of an error array.
     *
     * @param array<mixed> $data
     * @param list<string> $secrets
     *
     * @return array<mixed>
     */
    private static function redact(
        array $data,
        #[\SensitiveParameter]
        array $secrets
    ): array {
        foreach ($data as $key => $value) {
            if (is_string($value)) {
                $data[$key] = str_replace($secrets, '[REDACTED]', $value);
            } elseif (is_array($value)) {
                $data[$key] = self::redact($value, $secrets);
            }
        }

        return $data;
    }
}
