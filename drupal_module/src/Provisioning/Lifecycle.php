<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Psr\Log\LoggerInterface;

/**
 * Turns Drupal account events into queue operations, by the settings on
 * step 3. Never calls Graph and never throws: a user save must not wait on,
 * or fail because of, Entra ID.
 *
 * Which operation for which event:
 * - insert: provision (automatic creation on).
 * - update: "update" when a mapped value (name, mail, a mapped field)
 *   changed and "update" is on; a status change with "sync status" on is an
 *   "update" too (it carries the status: 0 disables, 1 enables again, and an
 *   update reads the account when it runs, so any order converges on the
 *   current Drupal state). With "update" off, blocking queues "disable" and
 *   unblocking "enable" (only accountEnabled changes).
 * - cancel (the account is kept, blocked): the cancel policy. Methods that
 *   delete the account are left to the delete event that follows.
 * - delete: the delete policy; the item carries the Entra object id.
 *
 * Update, disable and delete are queued only for accounts that are linked or
 * have queued work (a pending provision): an account that never reached
 * Entra ID has nothing to update there.
 */
final class Lifecycle {

  /**
   * user_cancel methods after which the account is deleted (the delete
   * event follows; user_cancel_delete never fires hook_user_cancel).
   */
  public const DELETING_CANCEL_METHODS = ['user_cancel_reassign', 'user_cancel_delete'];

  public function __construct(
    private Provisioner $provisioner,
    private LinkStoreInterface $links,
    private EchoGuard $guard,
    private LoggerInterface $logger
  ) {
  }

  /**
   * The Drupal fields the mapping reads (what the update hook compares).
   *
   * @return list<string>
   */
  public function mappedFieldNames(): array {
    return $this->provisioner->mappedFieldNames();
  }

  /**
   * hook_user_insert.
   *
   * @param list<string> $roles
   *   The new account's roles.
   *
   * @return bool
   *   Whether work was queued.
   */
  public function onInsert(int $uid, string $name, array $roles = []): bool {
    if ($this->guard->isSuppressed()) {
      return FALSE;
    }
    try {
      $settings = $this->provisioner->settings();
      if ($settings->drupalToEntra() && $settings->provisionScopeRoles() !== []) {
        $scope = $this->provisionScope($settings, $uid, [], $roles);
        if (empty($scope['in_scope'])) {
          // Holds none of the roles provisioning is scoped to.
          return FALSE;
        }
      }
    }
    catch (\Throwable $e) {
      $this->logger->error('Could not decide whether %name (uid @uid) is in the Entra ID provisioning scope: @error', ['@uid' => $uid, '%name' => $name, '@error' => $e->getMessage()]);

      return FALSE;
    }
    if (!$this->provisioner->onUserInsert($uid, $name)) {
      return FALSE;
    }
    $this->queueMemberships($settings, $uid, $name, NULL, $roles);

    return TRUE;
  }

  /**
   * hook_user_update.
   *
   * @param array<string, mixed>|null $before
   *   The account before the save, as UserSourceInterface returns it (null
   *   when Drupal did not provide the original).
   * @param array<string, mixed> $after
   */
  public function onUpdate(int $uid, string $name, ?array $before, array $after): bool {
    if ($this->guard->isSuppressed()) {
      return FALSE;
    }
    try {
      $settings = $this->provisioner->settings();
    }
    catch (\Throwable $e) {
      $this->logger->error('Could not read the Entra ID settings for the update of %name (uid @uid): @error', ['@uid' => $uid, '%name' => $name, '@error' => $e->getMessage()]);

      return FALSE;
    }
    try {
      $op = $this->decideUpdate($settings, $before, $after);
    }
    catch (\Throwable $e) {
      // The library cannot be asked now: keep the change rather than lose
      // it. The queued update sends only what differs, or nothing.
      $this->logger->warning('Could not decide the Entra ID update of %name (uid @uid), queued an update: @error', ['@uid' => $uid, '%name' => $name, '@error' => $e->getMessage()]);
      $op = $settings->drupalToEntra() && $settings->updateOnChange() ? QueueItem::OP_UPDATE : NULL;
    }
    $queued = $op !== NULL && $this->queueFor($op, $uid, $name);

    return $this->groupWork($settings, $uid, $name, $before, $after) || $queued;
  }

  /**
   * The Drupal -> Entra consequences of a role change: the provisioning
   * scope (entra_decide "provision_scope": provision, enable, or the
   * account-blocked policy for an account that lost its last scoped role)
   * and the group memberships ("membership_changes"), queued in the user's
   * order after any update queued before.
   *
   * @param array<string, mixed>|null $before
   * @param array<string, mixed> $after
   */
  private function groupWork(ModuleSettings $settings, int $uid, string $name, ?array $before, array $after): bool {
    if (!$settings->drupalToEntra() || ($settings->provisionScopeRoles() === [] && $settings->provisionRules() === [])) {
      return FALSE;
    }
    $rolesBefore = is_array($before['roles'] ?? NULL) ? array_values($before['roles']) : NULL;
    $rolesAfter = is_array($after['roles'] ?? NULL) ? array_values($after['roles']) : [];
    if ($rolesBefore !== NULL && self::sameRoles($rolesBefore, $rolesAfter)) {
      return FALSE;
    }
    $queued = FALSE;
    try {
      if ($settings->provisionScopeRoles() !== []) {
        $scope = $this->provisionScope($settings, $uid, $rolesBefore ?? [], $rolesAfter);
        $op = is_string($scope['op'] ?? NULL) ? $scope['op'] : NULL;
        if ($op === QueueItem::OP_PROVISION) {
          // Entered the scope, not linked: provisioned like a new account.
          if ($settings->autoCreate() && $this->provisioner->onUserInsert($uid, $name)) {
            $this->queueMemberships($settings, $uid, $name, NULL, $rolesAfter);

            return TRUE;
          }

          return FALSE;
        }
        if (in_array($op, [QueueItem::OP_ENABLE, QueueItem::OP_DISABLE, QueueItem::OP_DELETE], TRUE)) {
          $queued = $this->queueFor($op, $uid, $name);
        }
        if (empty($scope['in_scope'])) {
          return $queued;
        }
      }
    }
    catch (\Throwable $e) {
      $this->logger->error('Could not decide the Entra ID provisioning scope of %name (uid @uid): @error', ['@uid' => $uid, '%name' => $name, '@error' => $e->getMessage()]);

      return $queued;
    }

    return $this->queueMemberships($settings, $uid, $name, $rolesBefore, $rolesAfter) || $queued;
  }

  /**
   * Queues the group memberships of a role change (Provisioner); never
   * throws.
   *
   * @param list<string>|null $rolesBefore
   * @param list<string> $rolesAfter
   */
  private function queueMemberships(ModuleSettings $settings, int $uid, string $name, ?array $rolesBefore, array $rolesAfter): bool {
    if ($settings->provisionRules() === []) {
      return FALSE;
    }
    try {
      return $this->provisioner->queueMemberships($uid, $rolesBefore, $rolesAfter) > 0;
    }
    catch (\Throwable $e) {
      $this->logger->error('Could not queue the Entra ID group memberships of %name (uid @uid): @error', ['@uid' => $uid, '%name' => $name, '@error' => $e->getMessage()]);

      return FALSE;
    }
  }

  /**
   * The library's provision_scope answer for a role change.
   *
   * @param list<string> $rolesBefore
   * @param list<string> $rolesAfter
   *
   * @return array<string, mixed>
   */
  private function provisionScope(ModuleSettings $settings, int $uid, array $rolesBefore, array $rolesAfter): array {
    $link = $this->links->load($uid);

    return $this->provisioner->decide([
      'decide' => 'provision_scope',
      'scope_roles' => $settings->provisionScopeRoles(),
      'roles_before' => $rolesBefore,
      'roles_after' => $rolesAfter,
      'linked' => $link !== NULL && $link->isLinked(),
      'policy' => $settings->cancelPolicy(),
      'provenance' => $link?->provenance,
      'deprovision_matched' => $settings->deprovisionMatched(),
    ]);
  }

  /**
   * @param list<string> $a
   * @param list<string> $b
   */
  private static function sameRoles(array $a, array $b): bool {
    sort($a);
    sort($b);

    return $a === $b;
  }

  /**
   * hook_user_cancel (not fired for user_cancel_delete).
   */
  public function onCancel(int $uid, string $name, string $method): bool {
    if ($this->guard->isSuppressed() || in_array($method, self::DELETING_CANCEL_METHODS, TRUE)) {
      return FALSE;
    }
    try {
      $settings = $this->provisioner->settings();
      $op = $settings->drupalToEntra() ? self::policyOp($settings->cancelPolicy()) : NULL;
    }
    catch (\Throwable $e) {
      $this->logger->error('Could not read the Entra ID cancel policy for %name (uid @uid): @error', ['@uid' => $uid, '%name' => $name, '@error' => $e->getMessage()]);

      return FALSE;
    }

    return $op !== NULL && $this->queueFor($op, $uid, $name);
  }

  /**
   * hook_user_delete (after the account left the database).
   */
  public function onDelete(int $uid, string $name): bool {
    if ($this->guard->isSuppressed()) {
      return FALSE;
    }
    try {
      $settings = $this->provisioner->settings();
      $op = $settings->drupalToEntra() ? self::policyOp($settings->deletePolicy()) : NULL;
      if ($op === NULL) {
        // The Entra account stays as it is; nothing in Drupal links to
        // it any more. Queued work of this uid finds the account gone.
        $this->links->delete($uid);

        return FALSE;
      }
    }
    catch (\Throwable $e) {
      $this->logger->error('Could not apply the Entra ID delete policy for %name (uid @uid): @error', ['@uid' => $uid, '%name' => $name, '@error' => $e->getMessage()]);

      return FALSE;
    }

    return $this->queueFor($op, $uid, $name);
  }

  /**
   * The operation a user_update needs, or null: the library's rule
   * (entra_decide "user_update"), given the account before and after the
   * save, the mapping and the lifecycle settings.
   *
   * @param array<string, mixed>|null $before
   * @param array<string, mixed> $after
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   *   When the library cannot be asked.
   */
  public function decideUpdate(ModuleSettings $settings, ?array $before, array $after): ?string {
    if (!$settings->drupalToEntra()) {
      return NULL;
    }
    $answer = $this->provisioner->decide([
      'decide' => 'user_update',
      'mapping' => $settings->mapping(),
      'rules' => [
        'update_on_change' => $settings->updateOnChange(),
        'sync_status' => $settings->syncStatus(),
        'sync_mail' => $settings->syncMail(),
      ],
      'before' => $before,
      'after' => $after,
    ]);
    $op = $answer['op'] ?? NULL;

    return in_array($op, [QueueItem::OP_UPDATE, QueueItem::OP_DISABLE, QueueItem::OP_ENABLE], TRUE) ? $op : NULL;
  }

  /**
   * The operation of a cancel/delete policy, or null for "none".
   */
  public static function policyOp(string $policy): ?string {
    switch ($policy) {
      case ModuleSettings::POLICY_DISABLE:
        return QueueItem::OP_DISABLE;

      case ModuleSettings::POLICY_DELETE:
        return QueueItem::OP_DELETE;

      default:
        return NULL;
    }
  }

  private function queueFor(string $op, int $uid, string $name): bool {
    try {
      $link = $this->links->load($uid);
      if ($link === NULL || (!$link->isLinked() && $link->queuedSeq <= $link->doneSeq)) {
        // Never provisioned and nothing queued: nothing in Entra ID.
        return FALSE;
      }
      $this->provisioner->enqueue($op, $uid, $link->isLinked() ? $link->entraId : NULL, FALSE, $link->provenance);
    }
    catch (\Throwable $e) {
      $this->logger->error('Could not queue the Entra ID @action of %name (uid @uid): @error', ['@uid' => $uid, '%name' => $name, '@action' => $op, '@error' => $e->getMessage()]);

      return FALSE;
    }
    $this->logger->info('Queued the Entra ID @action of %name (uid @uid).', ['@uid' => $uid, '%name' => $name, '@action' => $op, 'entra_uid' => $uid, 'entra_username' => $name, 'entra_action' => $op]);

    return TRUE;
  }

}
