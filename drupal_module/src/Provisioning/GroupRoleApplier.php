<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Psr\Log\LoggerInterface;

/**
 * Entra ID -> Drupal: the roles and the import scope of a linked account,
 * from the mapped groups the import reported it in ("member_of").
 *
 * Which roles to grant or revoke, and who is in scope, are the library's
 * answers (entra_decide "role_changes" and "import_scope"); this class
 * gathers the facts (the account's roles, the site's role facts), writes
 * the answer and logs each grant and revoke with the group behind it.
 * uid 1 is never written, whatever the answer says.
 */
final class GroupRoleApplier {

  /**
   * Refused rules already logged by this process (logged once per round).
   *
   * @var array<string, true>
   */
  private array $loggedRefusals = [];

  public function __construct(
    private ClientFactory $clients,
    private AccountStoreInterface $accounts,
    private RoleFactsInterface $roles,
    private LoggerInterface $logger
  ) {
  }

  /**
   * Whether the import reads group memberships at all.
   */
  public static function enabled(ModuleSettings $settings): bool {
    return $settings->importGroupIds() !== [];
  }

  /**
   * The library's import_scope answer for these memberships.
   *
   * @param list<string> $memberOf
   *
   * @return array{in_scope: bool, reason: string, removal_reason: ?string}
   */
  public function scope(ModuleSettings $settings, array $memberOf): array {
    $answer = $this->clients->decide([
      'decide' => 'import_scope',
      'scope_groups' => $settings->importScopeGroups(),
      'member_of' => $memberOf,
    ]);

    return [
      'in_scope' => !empty($answer['in_scope']),
      'reason' => (string) ($answer['reason'] ?? ''),
      'removal_reason' => is_string($answer['removal_reason'] ?? NULL) ? $answer['removal_reason'] : NULL,
    ];
  }

  /**
   * Grants and revokes the mapped roles of one linked account.
   *
   * @param list<string> $memberOf
   */
  public function apply(int $uid, string $entraId, array $memberOf, ImportReport $report, ModuleSettings $settings, bool $dryRun): void {
    if ($settings->importRules() === []) {
      return;
    }
    $account = $this->accounts->load($uid);
    if ($account === NULL) {
      return;
    }
    $answer = $this->clients->decide([
      'decide' => 'role_changes',
      'rules' => $settings->importRules(),
      'strict' => $settings->strictRoles(),
      'account' => ['uid' => $uid, 'roles' => $account['roles']],
      'member_of' => array_values($memberOf),
      'role_facts' => $this->roles->facts(),
    ]);
    $this->logRefusedRules(is_array($answer['refused_rules'] ?? NULL) ? $answer['refused_rules'] : []);
    $grant = [];
    foreach (is_array($answer['grant'] ?? NULL) ? $answer['grant'] : [] as $row) {
      if (is_array($row) && is_string($row['role'] ?? NULL)) {
        $grant[$row['role']] = [(string) ($row['group_id'] ?? '')];
      }
    }
    $revoke = [];
    foreach (is_array($answer['revoke'] ?? NULL) ? $answer['revoke'] : [] as $row) {
      if (is_array($row) && is_string($row['role'] ?? NULL)) {
        $revoke[$row['role']] = is_array($row['group_ids'] ?? NULL) ? array_values(array_filter($row['group_ids'], 'is_string')) : [];
      }
    }
    // The library answers nothing for uid 1; this never writes it anyway.
    if (($grant === [] && $revoke === []) || $uid === 1) {
      return;
    }
    if (!$dryRun) {
      $this->accounts->changeRoles($uid, array_keys($grant), array_keys($revoke));
    }
    foreach ($grant as $role => $groups) {
      $this->record($report, 'grant', $uid, $entraId, $role, $groups, $settings, $dryRun);
    }
    foreach ($revoke as $role => $groups) {
      $this->record($report, 'revoke', $uid, $entraId, $role, $groups, $settings, $dryRun);
    }
  }

  /**
   * @param list<string> $groups
   */
  private function record(ImportReport $report, string $op, int $uid, string $entraId, string $role, array $groups, ModuleSettings $settings, bool $dryRun): void {
    $names = implode(', ', array_map(static function (string $id) use ($settings): string {
      $name = $settings->groupName($id);

      return $name !== '' ? sprintf('%s (%s)', $name, $id) : $id;
    }, $groups));
    $report->roleChanges[] = ['op' => $op, 'uid' => $uid, 'id' => $entraId, 'role' => $role, 'groups' => $groups];
    if ($dryRun) {
      return;
    }
    $context = ['@uid' => $uid, '%role' => $role, '@groups' => $names, '@entra_id' => $entraId, 'entra_uid' => $uid, 'entra_action' => 'role_' . $op];
    if ($op === 'grant') {
      $this->logger->notice('Entra ID import: granted the role %role to uid @uid (object @entra_id), member of @groups.', $context);
    }
    else {
      $this->logger->notice('Entra ID import: revoked the role %role from uid @uid (object @entra_id): no longer in @groups.', $context);
    }
  }

  /**
   * @param array<mixed> $refused
   */
  private function logRefusedRules(array $refused): void {
    foreach ($refused as $rule) {
      if (!is_array($rule)) {
        continue;
      }
      $key = ($rule['group_id'] ?? '') . '|' . ($rule['role'] ?? '') . '|' . ($rule['reason'] ?? '');
      if (isset($this->loggedRefusals[$key])) {
        continue;
      }
      $this->loggedRefusals[$key] = TRUE;
      $this->logger->warning('Entra ID import: the rule "group @group -> role %role" does not take effect: @message', [
        '@group' => (string) ($rule['group_id'] ?? ''),
        '%role' => (string) ($rule['role'] ?? ''),
        '@message' => (string) ($rule['message'] ?? ($rule['reason'] ?? '')),
      ]);
    }
  }

}
