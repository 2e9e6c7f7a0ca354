<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\FfiLoader;

/**
 * Decides the status report lines; the hook only renders them.
 *
 * Each line: ['id', 'title', 'value', 'description', 'severity', 'links']
 * with severity one of ok, info, warning, error, and links a list of
 * ['label', 'route', 'fragment'] the hook renders after the description.
 * Every failing line says how to fix it, and links to where.
 */
final class RequirementsEvaluator {

  public const OK = 'ok';
  public const INFO = 'info';
  public const WARNING = 'warning';
  public const ERROR = 'error';

  /**
   * Queue size above which the backlog is reported as a warning.
   */
  public const BACKLOG_WARNING = 500;

  /**
   * Days before its expiry from which the certificate is reported as a warning.
   */
  public const CERTIFICATE_WARNING_DAYS = 30;

  public const STEP1 = ['label' => 'Step 1: Connection', 'route' => 'entra_provisioning.connection', 'fragment' => NULL];

  /**
   * Why a secret in State is not for production.
   */
  private const STATE_ADVICE = 'The secret is stored in State. It is never shown, logged or exported, but Drupal also keeps State values in the cache_bootstrap cache bin (Redis or Memcache on large sites), so it lives there too. For production, keep it in settings.php ($settings[\'entra_provisioning\'][...]) or a Key module key.';
  public const STEP3 = ['label' => 'Step 3: Provisioning', 'route' => 'entra_provisioning.provisioning', 'fragment' => NULL];
  public const MATCHES = ['label' => 'Pending matches', 'route' => 'entra_provisioning.matches', 'fragment' => NULL];

  public function __construct(
    private ClientFactory $clients,
    private ProvisioningQueueInterface $queue,
    private LinkStoreInterface $links,
    private StateStoreInterface $state,
    private MatchStoreInterface $matches,
    private RemovalGuard $removals
  ) {
  }

  /**
   * @return list<array{id: string, title: string, value: string, description: string, severity: string, links: list<array{label: string, route: string, fragment: ?string}>}>
   */
  public function evaluate(): array {
    return self::fromFacts($this->gather());
  }

  /**
   * Collects what the report is about (loads the library, no network).
   *
   * @return array<string, mixed>
   */
  public function gather(): array {
    $env = $this->clients->environment();
    $probe = NULL;
    if (FfiLoader::isUsable($env)) {
      $probe = $this->clients->probe();
    }
    $missing = $this->clients->missing();
    $validation = NULL;
    if ($missing === [] && $probe !== NULL && $probe['ok']) {
      try {
        $this->clients->validate();
      }
      catch (EntraException $e) {
        $validation = ['message' => $this->clients->redact($e->getMessage()), 'field' => $e->field()];
      }
    }
    try {
      $backlog = $this->queue->count();
    }
    catch (\Throwable $e) {
      $backlog = NULL;
    }
    try {
      $counts = $this->links->countByResult();
    }
    catch (\Throwable $e) {
      $counts = NULL;
    }
    $secret = $this->clients->resolveSecret();
    $test = $this->state->get(Provisioner::STATE_LAST_TEST);
    $settings = $this->clients->settings();
    $lastImport = $this->state->get(Importer::STATE_LAST_RUN);
    $lastDelta = $this->state->get(Importer::STATE_LAST_DELTA_SYNC);
    try {
      $pending = $this->matches->countPending();
      $held = $this->removals->countHeld();
    }
    catch (\Throwable $e) {
      $pending = NULL;
      $held = NULL;
    }
    $suspension = $this->state->get(QueueSuspension::STATE_KEY);

    return [
      'env' => $env,
      'probe' => $probe,
      'library_path' => $this->clients->libraryPath(),
      'module_version' => $this->clients->moduleVersion(),
      'header_path' => $this->clients->headerPath(),
      'missing' => $missing,
      'validation' => $validation,
      'credential_type' => $settings->credentialType(),
      'endpoints' => $this->clients->endpointOverrides(),
      // Null while the library cannot be loaded (its own line says why).
      'certificate' => $settings->usesCertificate() ? ($this->clients->checkCertificate($settings->certificatePem())['certificate'] ?? NULL) : NULL,
      'permissions' => $this->permissions(),
      'now' => time(),
      'secret_source' => $secret->source,
      'secret_description' => $secret->describe(),
      'secret_problem' => $secret->problem,
      'last_test' => is_array($test) ? $test : NULL,
      'backlog' => $backlog,
      'suspension' => is_array($suspension) ? $suspension : NULL,
      'pending_matches' => $pending,
      'held_removals' => $held,
      'counts' => $counts,
      'directions' => $settings->directions(),
      'import' => [
        'enabled' => $settings->entraToDrupal(),
        'interval' => $settings->importInterval(),
        'last_run' => is_array($lastImport) ? $lastImport : NULL,
        'last_delta_sync' => is_int($lastDelta) ? $lastDelta : NULL,
      ],
    ];
  }

  /**
   * @param array<string, mixed> $facts
   *   See gather().
   *
   * @return list<array{id: string, title: string, value: string, description: string, severity: string, links: list<array{label: string, route: string, fragment: ?string}>}>
   */
  public static function fromFacts(array $facts): array {
    $lines = [];
    $env = is_array($facts['env'] ?? NULL) ? $facts['env'] : [];
    $sapi = (string) ($env['sapi'] ?? PHP_SAPI);
    $mode = (string) ($env['mode'] ?? 'none');

    // 1. The FFI extension.
    if (!empty($env['ffi_loaded'])) {
      $lines[] = self::line('ffi_extension', 'FFI extension', 'loaded', '', self::OK);
    }
    else {
      $lines[] = self::line('ffi_extension', 'FFI extension', 'missing', 'Enable the PHP FFI extension (ext-ffi; on Debian it ships in php8.x-common): check "extension=ffi" in the php.ini of ' . $sapi . ' and restart PHP.', self::ERROR);
    }

    // 2. Whether ffi.enable lets this SAPI use FFI.
    $enable = $env['ffi_enable'] ?? NULL;
    $value = sprintf('%s (SAPI %s, ffi.enable=%s)', $mode, $sapi, $enable === NULL ? 'n/a' : (string) $enable);
    $preloadAdvice = 'For PHP-FPM and Apache, use the preload set-up (ffi.preload with the rendered header, opcache.preload of the module\'s preload.php): it allows FFI to the binding classes only. ffi.enable=1 is the fallback: it hands FFI to every PHP file of the site and bypasses disable_functions. See the module README, "FFI: CLI, FPM and Apache".';
    if (!FfiLoader::isUsable($env)) {
      $lines[] = self::line('ffi_mode', 'FFI for this PHP', $value, (string) ($env['reason'] ?? 'FFI cannot be used.') . ' Drush and cron on the command line may still work: check "drush php:eval" or the CLI status. ' . $preloadAdvice, self::ERROR);
    }
    elseif ($mode === 'cdef' && $sapi !== 'cli' && self::flagOn($enable)) {
      $lines[] = self::line('ffi_mode', 'FFI for this PHP', $value, 'FFI works because ffi.enable=1. ' . $preloadAdvice, self::WARNING);
    }
    else {
      $lines[] = self::line('ffi_mode', 'FFI for this PHP', $value, (string) ($env['reason'] ?? ''), self::OK);
    }

    // 3. The library file and whether it loads.
    $library = (string) ($facts['library_path'] ?? '');
    $header = (string) ($facts['header_path'] ?? '');
    $probe = is_array($facts['probe'] ?? NULL) ? $facts['probe'] : NULL;
    $loaded = FALSE;
    $libraryFix = "Install the module from a release tarball (it holds lib/linux-x86_64/ and lib/linux-aarch64/ and the header), or build the library with \"make module\" (it copies libentra_provisioning.so and entra_provisioning.h into the module's lib/ folder), or set \$settings['entra_provisioning']['library'] and ['header'] in settings.php: see README.";
    if ($mode !== 'preload' && ($env['library_exists'] ?? NULL) === FALSE) {
      $problem = $env['library_problem'] ?? NULL;
      $lines[] = self::line('library', 'Entra provisioning library', 'not found', is_string($problem) && $problem !== '' ? $problem : sprintf('No library at %s. %s', $library, $libraryFix), self::ERROR);
    }
    elseif ($mode !== 'preload' && ($env['header_exists'] ?? NULL) === FALSE) {
      $lines[] = self::line('library', 'Entra provisioning library', 'header not found', sprintf('No C header at %s. %s', $header, $libraryFix), self::ERROR);
    }
    elseif ($probe === NULL) {
      $lines[] = self::line('library', 'Entra provisioning library', 'not checked', 'The library cannot be loaded while FFI is unavailable (see "FFI for this PHP").', self::WARNING);
    }
    elseif (!$probe['ok']) {
      $lines[] = self::line('library', 'Entra provisioning library', 'cannot be loaded', (string) $probe['error'] . ' ' . $libraryFix, self::ERROR);
    }
    else {
      $loaded = TRUE;
      $machine = is_string($env['library_machine'] ?? NULL) ? (string) $env['library_machine'] : NULL;
      $built = $machine !== NULL ? ' (built for ' . $machine . '; this machine: ' . (string) ($env['machine'] ?? php_uname('m')) . ')' : '';
      $preloaded = is_string($env['preload_library'] ?? NULL) ? (string) $env['preload_library'] : 'the file FFI_LIB names in the ffi.preload header';
      $lines[] = self::line(
        'library',
        'Entra provisioning library',
        'version ' . (string) $probe['version'] . ($machine !== NULL ? ', ' . $machine : ''),
        $mode === 'preload'
          ? sprintf('Loaded through the ffi.preload scope from %s%s.', $preloaded, $built)
          : sprintf('Loaded from %s%s.', $library, $built),
        self::OK
      );
    }

    // 4. The ABI version.
    if ($probe !== NULL && $probe['ok']) {
      if ((int) $probe['abi_version'] === (int) $probe['expected_abi']) {
        $lines[] = self::line('abi', 'Entra provisioning ABI', (string) $probe['abi_version'], '', self::OK);
      }
      else {
        $lines[] = self::line('abi', 'Entra provisioning ABI', sprintf('%d (module expects %d)', (int) $probe['abi_version'], (int) $probe['expected_abi']), 'Install the library and the module from the same release, then rebuild with "make module".', self::ERROR);
      }
    }
    else {
      $expected = $probe !== NULL ? (int) $probe['expected_abi'] : NULL;
      $lines[] = self::line('abi', 'Entra provisioning ABI', 'not checked', 'The library could not be loaded' . ($expected !== NULL ? sprintf(' (module expects ABI %d)', $expected) : '') . '; see the library line.', self::WARNING);
    }

    // 4b. Module and library from one release.
    if ($loaded && $probe !== NULL) {
      $lines[] = self::releaseLine(is_string($facts['module_version'] ?? NULL) ? $facts['module_version'] : NULL, (string) $probe['version']);
    }

    // 5. Configuration completeness and validity.
    $missing = is_array($facts['missing'] ?? NULL) ? $facts['missing'] : [];
    $validation = is_array($facts['validation'] ?? NULL) ? $facts['validation'] : NULL;
    if ($missing !== []) {
      $lines[] = self::line('configuration', 'Entra provisioning configuration', 'incomplete', 'Missing: ' . ConnectionFields::describe($missing) . '. Complete step 1 at Configuration > People > Entra ID provisioning.', self::WARNING, ConnectionFields::links($missing));
    }
    elseif ($validation !== NULL) {
      $field = is_string($validation['field'] ?? NULL) && $validation['field'] !== '' ? $validation['field'] : NULL;
      $where = $field !== NULL ? ConnectionFields::labels([$field])[0] : NULL;
      $links = $where !== NULL && $where['fragment'] !== NULL ? ConnectionFields::links([$field]) : [self::STEP1, self::STEP3];
      $lines[] = self::line('configuration', 'Entra provisioning configuration', 'invalid', (string) $validation['message'] . ($where !== NULL ? ' (' . $where['label'] . ')' : '') . '. Correct it on step 1 or step 3.', self::ERROR, $links);
    }
    else {
      $lines[] = self::line('configuration', 'Entra provisioning configuration', 'complete', '', self::OK);
    }

    // 5b. The endpoints in effect (overrides come from settings.php only).
    $endpoints = is_array($facts['endpoints'] ?? NULL) ? $facts['endpoints'] : [];
    if ($endpoints !== []) {
      $lines[] = self::line('endpoints', 'Entra endpoints', implode(', ', array_map(static fn (string $k, $v): string => $k . ' = ' . (string) $v, array_keys($endpoints), $endpoints)), 'Overridden in settings.php ($settings[\'entra_provisioning\'][\'login_endpoint\'] and [\'graph_endpoint\']): the credential is sent to that login endpoint.', self::INFO);
    }

    // 6. The credential, and where its secret comes from.
    $problem = $facts['secret_problem'] ?? NULL;
    $source = (string) ($facts['secret_source'] ?? ResolvedSecret::SOURCE_NONE);
    if (($facts['credential_type'] ?? ModuleSettings::CREDENTIAL_SECRET) === ModuleSettings::CREDENTIAL_CERTIFICATE) {
      $lines[] = self::certificateLine($facts, $source, is_string($problem) ? $problem : '');
    }
    elseif (is_string($problem) && $problem !== '') {
      $lines[] = self::line('secret', 'Entra client secret', (string) ($facts['secret_description'] ?? ''), 'The secret cannot be read: ' . $problem . '.', self::ERROR);
    }
    elseif ($source === ResolvedSecret::SOURCE_NONE) {
      $lines[] = self::line('secret', 'Entra client secret', 'not set', "Enter it on step 1 (stored in State), choose a Key module key, or set \$settings['entra_provisioning']['client_secret'] in settings.php. Or choose the certificate credential, which Microsoft recommends.", self::WARNING);
    }
    else {
      $lines[] = $source === ResolvedSecret::SOURCE_STATE
        ? self::line('secret', 'Entra client secret', (string) ($facts['secret_description'] ?? ''), self::STATE_ADVICE, self::WARNING, [self::STEP1])
        : self::line('secret', 'Entra client secret', (string) ($facts['secret_description'] ?? ''), 'The secret is never shown, logged or exported with the configuration.', self::INFO);
    }

    // 7. The last connection test.
    $test = is_array($facts['last_test'] ?? NULL) ? $facts['last_test'] : NULL;
    if ($test === NULL) {
      $lines[] = self::line('last_test', 'Entra connection test', 'never run', 'Run "Save and Test Configuration" on step 1.', self::WARNING, [self::STEP1]);
    }
    elseif (!empty($test['ok'])) {
      $lines[] = self::line('last_test', 'Entra connection test', 'succeeded ' . gmdate('Y-m-d H:i', (int) ($test['time'] ?? 0)) . ' UTC', sprintf('Read %s (request-id %s).', (string) ($test['upn'] ?? ''), (string) ($test['request_id'] ?? '-')), self::OK);
    }
    else {
      $error = is_array($test['error'] ?? NULL) ? $test['error'] : [];
      $lines[] = self::line('last_test', 'Entra connection test', 'failed ' . gmdate('Y-m-d H:i', (int) ($test['time'] ?? 0)) . ' UTC', (new ResultFormatter())->summary($error) . ' Fix it and run "Save and Test Configuration" again.', self::ERROR, [self::STEP1]);
    }

    // 7b. The application permissions the chosen directions need.
    if ($test !== NULL && !empty($test['ok'])) {
      $missing = $test['missing_permissions'] ?? NULL;
      $directions = is_array($test['directions'] ?? NULL) ? $test['directions'] : (is_array($facts['directions'] ?? NULL) ? $facts['directions'] : []);
      $granted = is_array($test['granted_permissions'] ?? NULL) ? implode(', ', $test['granted_permissions']) : '';
      $features = is_array($test['features'] ?? NULL) ? array_values(array_filter($test['features'], 'is_string')) : [];
      if (is_array($missing) && $missing !== []) {
        $lines[] = self::line('permissions', 'Entra application permissions', 'missing ' . implode(', ', $missing), sprintf(
          'The chosen directions (%s) need %s. In Entra ID > App registrations > API permissions, add the Microsoft Graph application permission %s, grant admin consent, then run "Save and Test Configuration" again. Granted now: %s.',
          implode(', ', $directions) . ($features !== [] ? ' and the group features (' . implode(', ', $features) . ')' : ''),
          implode(' and ', $missing),
          implode(' and ', $missing),
          $granted !== '' ? $granted : 'none'
        ), self::ERROR, [self::STEP1]);
      }
      elseif (is_array($missing)) {
        $lines[] = self::line('permissions', 'Entra application permissions', $granted !== '' ? $granted : 'sufficient', '', self::OK);
      }
      else {
        $needed = is_array($facts['permissions'] ?? NULL) ? $facts['permissions'] : [];
        $lines[] = self::line('permissions', 'Entra application permissions', 'unknown', sprintf(
          'The token did not say which permissions the application has; provisioning (%s) or import (%s) fails with a 403 if one is missing.',
          (string) ($needed[ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA] ?? '?'),
          (string) ($needed[ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL] ?? '?')
        ), self::INFO);
      }
    }

    // 8. The queue backlog.
    $backlog = $facts['backlog'] ?? NULL;
    $queueFix = sprintf('Items are processed right after each request and by cron; run "drush queue:run %s" to drain it now.', ProvisioningQueueInterface::NAME);
    $suspension = is_array($facts['suspension'] ?? NULL) ? $facts['suspension'] : NULL;
    if ($suspension !== NULL) {
      $lines[] = self::line('queue', 'Entra provisioning queue', sprintf('suspended since %s UTC, %s item(s) waiting', gmdate('Y-m-d H:i', (int) ($suspension['since'] ?? 0)), $backlog === NULL ? '?' : (string) (int) $backlog), sprintf(
        'Provisioning is suspended because: %s Fix: %s The work is kept; a successful "Save and Test Configuration" resumes it at once (otherwise it is tried again every %d minutes).',
        rtrim((string) ($suspension['summary'] ?? ''), ' '),
        is_string($suspension['fix'] ?? NULL) && $suspension['fix'] !== '' ? $suspension['fix'] : 'see the cause above.',
        intdiv(QueueSuspension::PROBE_DELAY, 60)
      ), self::ERROR, [self::STEP1]);
    }
    elseif ($backlog === NULL) {
      $lines[] = self::line('queue', 'Entra provisioning queue', 'unknown', 'The queue backend could not be read. ' . $queueFix, self::WARNING);
    }
    elseif ((int) $backlog === 0) {
      $lines[] = self::line('queue', 'Entra provisioning queue', 'empty', '', self::OK);
    }
    else {
      $lines[] = self::line('queue', 'Entra provisioning queue', sprintf('%d item(s) waiting', (int) $backlog), $queueFix, (int) $backlog > self::BACKLOG_WARNING ? self::WARNING : self::INFO);
    }

    // 9. Failed accounts.
    $counts = is_array($facts['counts'] ?? NULL) ? $facts['counts'] : NULL;
    if ($counts !== NULL) {
      $failed = (int) ($counts['failed'] ?? 0);
      $value = sprintf('%d linked, %d pending, %d failed, %d waiting for a match review', (int) ($counts['ok'] ?? 0), (int) ($counts['pending'] ?? 0), $failed, (int) ($counts['review'] ?? 0));
      $lines[] = $failed > 0
        ? self::line('accounts', 'Entra provisioned accounts', $value, 'See Reports > Recent log messages, type user_provisioning, for each cause; fix it and use Sync on step 3.', self::WARNING, [self::STEP3])
        : self::line('accounts', 'Entra provisioned accounts', $value, '', self::OK);
    }

    // 9b. Matches waiting for an admin, and removals held by the threshold.
    $pending = is_array($facts['pending_matches'] ?? NULL) ? array_sum(array_map('intval', $facts['pending_matches'])) : 0;
    if ($pending > 0) {
      $lines[] = self::line('matches', 'Entra ID pending matches', sprintf('%d waiting', $pending), 'Drupal accounts and Entra ID users that share a userPrincipalName, mail or name, and that nothing links yet. Nothing was linked, changed or sent to either account: approve each match that is the same person, reject the others (or "drush entra:matches").', self::WARNING, [self::MATCHES]);
    }
    $held = is_array($facts['held_removals'] ?? NULL) ? array_sum(array_map('intval', $facts['held_removals'])) : 0;
    if ($held > 0) {
      $lines[] = self::line('held_removals', 'Entra ID held removals', sprintf('%d held', $held), 'More accounts would be blocked, deleted or disabled at once than the accidental-deletion threshold allows, so none of them was. Check Entra ID and the scope, then release them on the Pending matches page (or "drush entra:release-removals").', self::ERROR, [self::MATCHES]);
    }

    // 10. The Entra -> Drupal import.
    $import = is_array($facts['import'] ?? NULL) ? $facts['import'] : NULL;
    if ($import !== NULL && !empty($import['enabled'])) {
      $run = is_array($import['last_run'] ?? NULL) ? $import['last_run'] : NULL;
      $delta = isset($import['last_delta_sync']) && is_int($import['last_delta_sync']) ? $import['last_delta_sync'] : NULL;
      $when = $delta !== NULL ? 'last complete round ' . gmdate('Y-m-d H:i', $delta) . ' UTC' : 'no complete round yet';
      $schedule = (int) ($import['interval'] ?? 0) > 0 ? sprintf('Runs on cron every %d s and with "drush entra:import".', (int) $import['interval']) : 'Cron does not import (interval 0): run "drush entra:import".';
      if ($run === NULL) {
        $lines[] = self::line('import', 'Entra ID import', 'never run', $schedule, self::WARNING);
      }
      elseif (is_array($run['error'] ?? NULL)) {
        $lines[] = self::line('import', 'Entra ID import', 'failed ' . gmdate('Y-m-d H:i', (int) ($run['time'] ?? 0)) . ' UTC; ' . $when, (new ResultFormatter())->summary($run['error']) . ' ' . $schedule, self::ERROR, [self::STEP1]);
      }
      else {
        $counts = is_array($run['counts'] ?? NULL) ? $run['counts'] : [];
        $conflicts = (int) ($counts[ImportReport::CONFLICT] ?? 0);
        $failed = (int) ($counts[ImportReport::FAILED] ?? 0);
        $description = $schedule;
        if ($conflicts > 0 || $failed > 0) {
          $description = sprintf('The last run had %d conflict(s) and %d failure(s): see Reports > Recent log messages, type user_provisioning. ', $conflicts, $failed) . $schedule;
        }
        $lines[] = self::line('import', 'Entra ID import', $when, $description, $conflicts > 0 || $failed > 0 ? self::WARNING : self::OK);
      }
    }

    return $lines;
  }

  /**
   * The credential line for the certificate type: where the private key
   * comes from, the certificate's thumbprint and expiry.
   *
   * @param array<string, mixed> $facts
   *
   * @return array{id: string, title: string, value: string, description: string, severity: string}
   */
  private static function certificateLine(array $facts, string $source, string $problem): array {
    $title = 'Entra certificate';
    $where = (string) ($facts['secret_description'] ?? '');
    $certificate = is_array($facts['certificate'] ?? NULL) ? $facts['certificate'] : NULL;
    $about = '';
    if ($certificate !== NULL) {
      $about = sprintf('; certificate thumbprint %s, expires %s UTC', (string) $certificate['thumbprint'], gmdate('Y-m-d', (int) $certificate['not_after']));
    }
    if ($problem !== '') {
      return self::line('secret', $title, 'private key: ' . $where . $about, 'The private key cannot be read: ' . $problem . '.', self::ERROR);
    }
    if ($source === ResolvedSecret::SOURCE_NONE) {
      return self::line('secret', $title, 'private key not set' . $about, "Set \$settings['entra_provisioning']['private_key_pem'] in settings.php or choose a Key module key (recommended), or enter the key on step 1 (stored in State).", self::WARNING);
    }
    $value = 'private key from ' . $where . $about;
    if ($certificate !== NULL) {
      $now = is_int($facts['now'] ?? NULL) ? $facts['now'] : time();
      $left = (int) $certificate['not_after'] - $now;
      $renew = 'Create a new certificate (openssl req -x509 ...), upload it to the app registration, and enter it and its key on step 1: see README.';
      if ($left <= 0) {
        return self::line('secret', $title, $value, 'The certificate has expired: Entra ID refuses it. ' . $renew, self::ERROR);
      }
      if ($left < self::CERTIFICATE_WARNING_DAYS * 86400) {
        return self::line('secret', $title, $value, sprintf('The certificate expires in %d day(s). ', intdiv($left, 86400)) . $renew, self::WARNING);
      }
    }

    if ($source === ResolvedSecret::SOURCE_STATE) {
      return self::line('secret', $title, $value, self::STATE_ADVICE, self::WARNING, [self::STEP1]);
    }

    return self::line('secret', $title, $value, 'The private key is never shown, logged or exported with the configuration.', self::INFO);
  }

  /**
   * Whether the module and the library come from one release.
   *
   * Both versions come from Cargo.toml: "make dist" writes it into the
   * release's info file, and the library reports it (entra_version()). A
   * source checkout's info file has no version: nothing to compare then.
   *
   * @return array{id: string, title: string, value: string, description: string, severity: string, links: list<array{label: string, route: string, fragment: ?string}>}
   */
  public static function releaseLine(?string $moduleVersion, string $libraryVersion): array {
    $title = 'Entra provisioning release';
    if ($moduleVersion === NULL || $moduleVersion === '') {
      return self::line('release', $title, 'source checkout (library ' . $libraryVersion . ')', 'The module\'s info file has no version, as in a source checkout (a release adds one). Keep the library built from the same checkout ("make module").', self::INFO);
    }
    if ($moduleVersion === $libraryVersion) {
      return self::line('release', $title, $moduleVersion, 'The module and its library are from the same release.', self::OK);
    }

    return self::line('release', $title, sprintf('module %s, library %s', $moduleVersion, $libraryVersion), sprintf(
      'The module and the library come from different releases. Install both from one release: extract entra_provisioning-%s.tar.gz in place of the module folder (it holds the libraries), or, if settings.php names another library ($settings[\'entra_provisioning\'][\'library\']), replace that file with the one of release %s.',
      $moduleVersion,
      $moduleVersion
    ), self::ERROR);
  }

  /**
   * Whether an ini value means "on" ("1", "On", "true"; "preload" is not).
   *
   * @param mixed $value
   */
  private static function flagOn($value): bool {
    return is_string($value) && in_array(strtolower(trim($value)), ['1', 'on', 'true', 'yes'], TRUE);
  }

  /**
   * The worst severity of a list of lines (for exit codes).
   *
   * @param list<array{severity: string}> $lines
   */
  public static function worst(array $lines): string {
    $order = [self::OK => 0, self::INFO => 1, self::WARNING => 2, self::ERROR => 3];
    $worst = self::OK;
    foreach ($lines as $line) {
      if (($order[$line['severity']] ?? 0) > $order[$worst]) {
        $worst = $line['severity'];
      }
    }

    return $worst;
  }

  /**
   * @param list<array{label: string, route: string, fragment: ?string}> $links
   *
   * @return array{id: string, title: string, value: string, description: string, severity: string, links: list<array{label: string, route: string, fragment: ?string}>}
   */
  private static function line(string $id, string $title, string $value, string $description, string $severity, array $links = []): array {
    return ['id' => $id, 'title' => $title, 'value' => $value, 'description' => trim($description), 'severity' => $severity, 'links' => $links];
  }

  /**
   * Direction => the Graph application permission it needs (the library's).
   *
   * @return array<string, string>
   */
  private function permissions(): array {
    try {
      $facts = $this->clients->facts();
    }
    catch (EntraException $e) {
      return [];
    }
    $permissions = [];
    foreach ($facts->directions() as $direction) {
      $permissions[$direction] = $facts->permission($direction);
    }

    return $permissions;
  }

}
