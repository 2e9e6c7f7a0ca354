<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Typed read access to entra_provisioning.settings, with defaults.
 */
final class ModuleSettings {

  public const CONFIG_NAME = 'entra_provisioning.settings';

  public const UPN_SOURCES = ['name', 'mail'];

  /**
   * How the app proves its identity: a client secret or a certificate
   * (a PS256 client assertion signed with the private key).
   */
  public const CREDENTIAL_SECRET = 'secret';
  public const CREDENTIAL_CERTIFICATE = 'certificate';
  public const CREDENTIAL_TYPES = [self::CREDENTIAL_SECRET, self::CREDENTIAL_CERTIFICATE];

  /**
   * What a Drupal cancel/delete does in Entra ID.
   */
  public const POLICY_NONE = 'none';
  public const POLICY_DISABLE = 'disable';
  public const POLICY_DELETE = 'delete';
  public const ACCOUNT_POLICIES = [self::POLICY_NONE, self::POLICY_DISABLE, self::POLICY_DELETE];

  /**
   * What the import does to a linked Drupal account removed in Entra ID.
   */
  public const REMOVED_BLOCK = 'block';
  public const REMOVED_DELETE = 'delete';
  public const REMOVED_NONE = 'none';
  public const REMOVED_POLICIES = [self::REMOVED_BLOCK, self::REMOVED_DELETE, self::REMOVED_NONE];

  public const DIRECTION_DRUPAL_TO_ENTRA = 'drupal_to_entra';
  public const DIRECTION_ENTRA_TO_DRUPAL = 'entra_to_drupal';

  /**
   * Identity matching policies (the library's matching::Policy names):
   * every match waits for an admin, or links automatically behind guards.
   */
  public const MATCH_REVIEW = 'review';
  public const MATCH_AUTO = 'auto';
  public const MATCH_POLICIES = [self::MATCH_REVIEW, self::MATCH_AUTO];

  /**
   * Removals in one import round (or disables/deletes in Entra per hour)
   * above which they are held for an admin.
   */
  public const DEFAULT_REMOVAL_THRESHOLD = 10;

  /**
   * Overall budget (ms) of one library call by who waits for it: an admin
   * at a form, a queue item, a bulk chunk.
   */
  public const DEFAULT_INTERACTIVE_BUDGET_MS = 10000;
  public const DEFAULT_QUEUE_BUDGET_MS = 30000;
  public const DEFAULT_BULK_BUDGET_MS = 120000;

  public const DEFAULT_IMPORT_INTERVAL = 3600;

  public const DEFAULT_IMPORT_PAGES_PER_CALL = 5;

  public const DEFAULT_BULK_CHUNK = 100;

  /**
   * Default time (ms) spent after the response on the queued work of this request.
   */
  public const DEFAULT_POST_RESPONSE_BUDGET_MS = 3000;

  /**
   * @param array<string, mixed> $data
   */
  public function __construct(
    /**
     * @var array<string, mixed>
     */
    private array $data
  ) {
  }

  /**
   * @return mixed
   */
  public function get(string $path, $default = NULL) {
    $value = $this->data;
    foreach (explode('.', $path) as $part) {
      if (!is_array($value) || !array_key_exists($part, $value)) {
        return $default;
      }
      $value = $value[$part];
    }

    return $value ?? $default;
  }

  public function string(string $path, string $default = ''): string {
    $value = $this->get($path, $default);

    return is_scalar($value) ? trim((string) $value) : $default;
  }

  public function bool(string $path, bool $default = FALSE): bool {
    $value = $this->get($path, $default);

    return is_scalar($value) ? (bool) $value : $default;
  }

  public function int(string $path, int $default): int {
    $value = $this->get($path, $default);

    return is_numeric($value) ? (int) $value : $default;
  }

  /**
   * A number the site may leave unset (null: the library's default).
   */
  public function optionalInt(string $path): ?int {
    $value = $this->get($path, NULL);

    return is_numeric($value) ? (int) $value : NULL;
  }

  public function tenantId(): string {
    return $this->string('connection.tenant_id');
  }

  public function clientId(): string {
    return $this->string('connection.client_id');
  }

  public function primaryDomain(): string {
    return $this->string('connection.primary_domain');
  }

  public function cloud(): string {
    return $this->string('connection.cloud');
  }

  public function testUpn(): string {
    return $this->string('connection.test_upn');
  }

  public function secretKeyId(): string {
    return $this->string('connection.secret_key_id');
  }

  /**
   * "secret" (default) or "certificate".
   */
  public function credentialType(): string {
    return $this->choice('connection.credential_type', self::CREDENTIAL_TYPES, self::CREDENTIAL_SECRET);
  }

  public function usesCertificate(): bool {
    return $this->credentialType() === self::CREDENTIAL_CERTIFICATE;
  }

  /**
   * The public certificate (PEM) uploaded to the app registration.
   */
  public function certificatePem(): string {
    return $this->string('connection.certificate_pem');
  }

  /**
   * Key module key holding the certificate's private key (empty: State).
   */
  public function privateKeyKeyId(): string {
    return $this->string('connection.private_key_key_id');
  }

  public function drupalToEntra(): bool {
    return $this->bool('direction.drupal_to_entra', TRUE);
  }

  public function entraToDrupal(): bool {
    return $this->bool('direction.entra_to_drupal');
  }

  public function manualCreate(): bool {
    return $this->bool('provisioning.manual_create', TRUE);
  }

  public function autoCreate(): bool {
    return $this->bool('provisioning.auto_create');
  }

  public function postResponseBudgetMs(): int {
    return max(0, $this->int('provisioning.post_response_budget_ms', self::DEFAULT_POST_RESPONSE_BUDGET_MS));
  }

  /**
   * The sync directions switched on, as the library names them.
   *
   * @return list<string>
   */
  public function directions(): array {
    $directions = [];
    if ($this->drupalToEntra()) {
      $directions[] = self::DIRECTION_DRUPAL_TO_ENTRA;
    }
    if ($this->entraToDrupal()) {
      $directions[] = self::DIRECTION_ENTRA_TO_DRUPAL;
    }

    return $directions;
  }

  /**
   * user_update: PATCH the mapped properties that changed (on by default).
   */
  public function updateOnChange(): bool {
    return $this->bool('lifecycle.update', TRUE);
  }

  /**
   * A changed Drupal e-mail address is sent to Entra's mail (off by
   * default: Drupal does not verify a changed address, and other
   * applications of the tenant may trust Entra's mail).
   */
  public function syncMail(): bool {
    return $this->bool('lifecycle.sync_mail');
  }

  /**
   * Blocked -> disable in Entra ID, unblocked -> enable (off by default).
   */
  public function syncStatus(): bool {
    return $this->bool('lifecycle.sync_status');
  }

  /**
   * user_cancel (the account is kept, blocked): none, disable or delete.
   */
  public function cancelPolicy(): string {
    return $this->choice('lifecycle.on_cancel', self::ACCOUNT_POLICIES, self::POLICY_NONE);
  }

  /**
   * user_delete: none, disable or delete.
   */
  public function deletePolicy(): string {
    return $this->choice('lifecycle.on_delete', self::ACCOUNT_POLICIES, self::POLICY_NONE);
  }

  /**
   * Seconds between two imports on cron; 0 = never on cron (Drush only).
   */
  public function importInterval(): int {
    return max(0, $this->int('import.interval', self::DEFAULT_IMPORT_INTERVAL));
  }

  /**
   * What a removal in Entra ID does to the linked Drupal account.
   */
  public function importRemovedPolicy(): string {
    return $this->choice('import.removed', self::REMOVED_POLICIES, self::REMOVED_BLOCK);
  }

  public function importCreateAccounts(): bool {
    return $this->bool('import.create_accounts', TRUE);
  }

  public function importIncludeGuests(): bool {
    return $this->bool('import.include_guests');
  }

  /**
   * Graph delta pages read per library call (the state is saved in between).
   */
  public function importPagesPerCall(): int {
    return max(1, min(100, $this->int('import.pages_per_call', self::DEFAULT_IMPORT_PAGES_PER_CALL)));
  }

  /**
   * How a match between a Drupal account and an Entra user is handled, per
   * direction of the side that found it: "review" (default) or "auto".
   */
  public function matchPolicy(string $direction): string {
    $key = $direction === self::DIRECTION_ENTRA_TO_DRUPAL ? 'matching.entra_to_drupal' : 'matching.drupal_to_entra';

    return $this->choice($key, self::MATCH_POLICIES, self::MATCH_REVIEW);
  }

  /**
   * Whether links matched automatically also carry deprovisioning
   * (disable, delete, accountEnabled, mail). Off by default.
   */
  public function deprovisionMatched(): bool {
    return $this->bool('matching.deprovision_matched');
  }

  /**
   * Accidental-deletion prevention threshold (at least 1).
   */
  public function removalThreshold(): int {
    return max(1, $this->int('matching.removal_threshold', self::DEFAULT_REMOVAL_THRESHOLD));
  }

  /**
   * Budget of a call an admin waits for (Save and Test, Sync, Preview).
   */
  public function interactiveBudgetMs(): int {
    return max(1000, $this->int('advanced.interactive_budget_ms', self::DEFAULT_INTERACTIVE_BUDGET_MS));
  }

  /**
   * Budget of one queue item on cron or "drush queue:run".
   */
  public function queueBudgetMs(): int {
    return max(1000, $this->int('advanced.queue_budget_ms', self::DEFAULT_QUEUE_BUDGET_MS));
  }

  /**
   * Budget of one bulk chunk (Sync all users, drush entra:provision) or
   * import call.
   */
  public function bulkBudgetMs(): int {
    return max(1000, $this->int('advanced.bulk_budget_ms', self::DEFAULT_BULK_BUDGET_MS));
  }

  /**
   * Users per entra_bulk_provision call for "Sync all users", as configured
   * (BulkSync caps it at the library's limit per call).
   */
  public function bulkChunkSize(): int {
    return max(1, $this->int('bulk.chunk_size', self::DEFAULT_BULK_CHUNK));
  }

  /**
   * Drupal field => Graph property, from the list stored in config.
   *
   * @return array<string, string>
   */
  public function mappedProperties(): array {
    $map = [];
    $list = $this->get('mapping.properties', []);
    if (!is_array($list)) {
      return [];
    }
    foreach ($list as $row) {
      if (is_array($row) && is_string($row['field'] ?? NULL) && is_string($row['property'] ?? NULL)
        && $row['field'] !== '' && $row['property'] !== '') {
        $map[$row['field']] = $row['property'];
      }
    }

    return $map;
  }

  /**
   * The "mapping" object of the library configuration.
   *
   * @return array<string, mixed>
   */
  public function mapping(): array {
    return [
      'upn_source' => $this->string('mapping.upn_source', 'name') ?: 'name',
      'display_name_field' => $this->string('mapping.display_name_field', 'name') ?: 'name',
      'force_change_password' => $this->bool('mapping.force_change_password', TRUE),
      'update_upn' => $this->bool('mapping.update_upn'),
      'properties' => $this->mappedProperties(),
    ];
  }

  /**
   * Entra ID group -> Drupal role rules as the library reads them
   * ("rules" of role_changes, "import_rules" of group_rules_check).
   *
   * @return list<array{group_id: string, role: string, confirmed: bool}>
   */
  public function importRules(): array {
    $rules = [];
    foreach ($this->rows('groups.import_rules') as $row) {
      $rules[] = [
        'group_id' => is_scalar($row['group_id'] ?? NULL) ? trim((string) $row['group_id']) : '',
        'role' => is_scalar($row['role'] ?? NULL) ? trim((string) $row['role']) : '',
        'confirmed' => !empty($row['confirmed']),
      ];
    }

    return $rules;
  }

  /**
   * Strict mode: the import also removes mapped roles no group backs.
   */
  public function strictRoles(): bool {
    return $this->bool('groups.strict');
  }

  /**
   * Group ids whose members alone are imported ([]: no scope).
   *
   * @return list<string>
   */
  public function importScopeGroups(): array {
    return $this->strings('groups.import_scope');
  }

  /**
   * Drupal role -> Entra ID group rules ("rules" of membership_changes,
   * "provision_rules" of group_rules_check).
   *
   * @return list<array{role: string, group_id: string}>
   */
  public function provisionRules(): array {
    $rules = [];
    foreach ($this->rows('groups.provision_rules') as $row) {
      $rules[] = [
        'role' => is_scalar($row['role'] ?? NULL) ? trim((string) $row['role']) : '',
        'group_id' => is_scalar($row['group_id'] ?? NULL) ? trim((string) $row['group_id']) : '',
      ];
    }

    return $rules;
  }

  /**
   * Roles of which an account needs one to be provisioned ([]: no scope).
   *
   * @return list<string>
   */
  public function provisionScopeRoles(): array {
    return $this->strings('groups.provision_scope');
  }

  /**
   * The groups the import reads memberships of: every import rule's group
   * and every scope group ("groups.ids" of entra_import_delta).
   *
   * @return list<string>
   */
  public function importGroupIds(): array {
    $ids = [];
    foreach ($this->importRules() as $rule) {
      $ids[strtolower($rule['group_id'])] = $rule['group_id'];
    }
    foreach ($this->importScopeGroups() as $id) {
      $ids[strtolower($id)] = $id;
    }
    unset($ids['']);

    return array_values($ids);
  }

  /**
   * The stored displayName of a group a rule names ('' when none).
   */
  public function groupName(string $groupId): string {
    foreach (['groups.import_rules', 'groups.provision_rules'] as $path) {
      foreach ($this->rows($path) as $row) {
        if (strcasecmp((string) ($row['group_id'] ?? ''), $groupId) === 0 && is_string($row['group_name'] ?? NULL) && $row['group_name'] !== '') {
          return $row['group_name'];
        }
      }
    }

    return '';
  }

  /**
   * The library's feature names switched on by the group settings
   * (entra_describe "features"; sent to the connection test).
   *
   * @return list<string>
   */
  public function groupFeatures(): array {
    $features = [];
    if ($this->importGroupIds() !== []) {
      $features[] = 'read_group_memberships';
    }
    if ($this->provisionRules() !== []) {
      $features[] = 'write_group_memberships';
    }

    return $features;
  }

  /**
   * @return list<array<string, mixed>>
   */
  private function rows(string $path): array {
    $list = $this->get($path, []);

    return is_array($list) ? array_values(array_filter($list, 'is_array')) : [];
  }

  /**
   * @return list<string>
   */
  private function strings(string $path): array {
    $list = $this->get($path, []);
    if (!is_array($list)) {
      return [];
    }
    $values = [];
    foreach ($list as $value) {
      if (is_scalar($value) && trim((string) $value) !== '') {
        $values[] = trim((string) $value);
      }
    }

    return array_values(array_unique($values));
  }

  /**
   * @param list<string> $allowed
   */
  private function choice(string $path, array $allowed, string $default): string {
    $value = $this->string($path, $default);

    return in_array($value, $allowed, TRUE) ? $value : $default;
  }

  /**
   * @return array<string, mixed>
   */
  public function toArray(): array {
    return $this->data;
  }

}
