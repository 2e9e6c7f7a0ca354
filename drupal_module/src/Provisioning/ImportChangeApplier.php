<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\Component\Datetime\TimeInterface;
use Psr\Log\LoggerInterface;

/**
 * Entra ID -> Drupal: applies one change of the users delta query.
 *
 * Which Drupal account an Entra user is: the link table first (the Entra
 * object id). Without a link, an account with the same mail, or else the
 * same name, is only a candidate: the library decides (entra_decide
 * "drupal_candidate") whether to link it automatically (opt-in policy, never
 * uid 1, a privileged, blocked or linked account), to propose it for an
 * admin's approval (default), or never. Nothing is written to a candidate.
 * Without any candidate, a new account is created and linked (provenance
 * "created").
 *
 * What an existing link may write is the library's decision too
 * (entra_decide "import_write"): a matched link never changes the name,
 * mail or status; uid 1 is never changed. Removals are collected for the
 * round and applied when it completes (RemovalGuard), or held above the
 * threshold.
 *
 * Log rows: one per user only when something changed (created, linked,
 * updated, blocked, deleted, failed) or a new match was proposed; the
 * summary of a run is logged by Importer.
 */
final class ImportChangeApplier {

  public function __construct(
    private ClientFactory $clients,
    private LinkStoreInterface $links,
    private AccountStoreInterface $accounts,
    private AccountWriter $writer,
    private IdentityMatcher $matcher,
    private RemovalGuard $removals,
    private TimeInterface $clock,
    private LoggerInterface $logger,
    private ?GroupRoleApplier $groupRoles = NULL,
    private ?LinkedAccountsInterface $linkedAccounts = NULL
  ) {
  }

  /**
   * @param array<string, mixed> $change
   *   One entry of entra_import_delta's "changes".
   */
  public function apply(array $change, ImportReport $report, ModuleSettings $settings, bool $dryRun): void {
    $id = is_string($change['id'] ?? NULL) ? $change['id'] : '';
    $upn = is_string($change['userPrincipalName'] ?? NULL) ? $change['userPrincipalName'] : '';
    if ($id === '') {
      $report->add(ImportReport::SKIPPED, '', $upn, NULL, 'A change without an object id.');

      return;
    }
    try {
      if (($change['op'] ?? '') === 'removed') {
        $this->collectRemoval($id, (string) ($change['reason'] ?? 'changed'), $report, $dryRun);
      }
      else {
        $values = is_array($change['drupal'] ?? NULL) ? $change['drupal'] : [];
        $attributes = is_array($change['attributes'] ?? NULL) ? $change['attributes'] : [];
        $memberOf = $this->groupRoles !== NULL && GroupRoleApplier::enabled($settings) ? self::memberOf($change) : NULL;
        if ($memberOf !== NULL && !$this->inImportScope($id, $upn, $memberOf, $report, $settings, $dryRun)) {
          return;
        }
        $uid = $this->upsert($id, $upn, $values, $attributes, $report, $settings, $dryRun);
        if ($memberOf !== NULL && $uid !== NULL && $this->groupRoles !== NULL) {
          $this->groupRoles->apply($uid, $id, $memberOf, $report, $settings, $dryRun);
        }
      }
    }
    catch (\Throwable $e) {
      $message = (string) $this->clients->redact($e->getMessage());
      $report->add(ImportReport::FAILED, $id, $upn, NULL, $message);
      $this->logger->error('Entra ID import of %upn (object @entra_id) failed: @error', ['%upn' => $upn, '@entra_id' => $id, '@error' => $message, 'entra_upn' => $upn]);
    }
  }

  /**
   * Applies the removal of a linked account's Entra user under the
   * removal policy, once its round completed (or an admin released it).
   *
   * @return string
   *   The ImportReport result.
   */
  public function applyRemoval(int $uid, string $entraId, string $reason, ModuleSettings $settings): string {
    $link = $this->links->load($uid);
    $account = $this->accounts->load($uid);
    if ($link === NULL || $link->entraId !== $entraId || $account === NULL) {
      // Relinked or deleted meanwhile: nothing of this removal applies.
      return ImportReport::SKIPPED;
    }
    $upn = (string) $link->upn;
    $decision = $this->clients->client()->decide([
      'decide' => 'import_removal',
      'provenance' => $link->provenance,
      'deprovision_matched' => $settings->deprovisionMatched(),
      'account' => IdentityMatcher::accountFacts($account, $link),
      'policy' => $settings->importRemovedPolicy(),
      'reason' => $reason,
    ]);
    $action = (string) ($decision['action'] ?? 'none');
    $why = (string) ($decision['reason'] ?? '');
    $how = $reason === 'deleted' ? 'deleted permanently' : ($reason === 'out_of_scope' ? 'no longer in the import scope groups' : 'deleted (restorable for 30 days)');
    $context = ['@uid' => $uid, '%upn' => $upn, '@how' => $how, '@why' => $why, 'entra_uid' => $uid, 'entra_upn' => $upn];
    if ($action === 'delete') {
      $this->accounts->delete($uid);
      $this->links->delete($uid);
      $this->logger->notice('Entra ID import: deleted uid @uid, whose Entra ID user %upn was @how.', $context);

      return ImportReport::DELETED;
    }
    if ($action === 'block') {
      $wasActive = $this->accounts->block($uid);
      // The link stays: a user restored in Entra ID matches again and
      // its accountEnabled unblocks the account.
      $this->links->save(LinkRecord::succeeded($link, $uid, 'removed_in_entra', $entraId, NULL, NULL, $this->clock->getCurrentTime()));
      if ($wasActive) {
        $this->logger->notice('Entra ID import: blocked uid @uid, whose Entra ID user %upn was @how.', $context);

        return ImportReport::BLOCKED;
      }

      return ImportReport::UNCHANGED;
    }
    if ($why !== '' && $settings->importRemovedPolicy() !== ModuleSettings::REMOVED_NONE) {
      $this->logger->notice('Entra ID import: uid @uid is left as it is although its Entra ID user %upn was @how: @why.', $context);
    }

    return ImportReport::SKIPPED;
  }

  /**
   * @param array<string, mixed> $values
   * @param array<string, mixed> $attributes
   */
  private function upsert(string $id, string $upn, array $values, array $attributes, ImportReport $report, ModuleSettings $settings, bool $dryRun): ?int {
    $link = $this->links->loadByEntraId($id);
    if ($link !== NULL) {
      $account = $this->accounts->load($link->uid);
      if ($account !== NULL) {
        if (!$dryRun) {
          $this->removals->forget($id);
        }
        $this->updateLinked($account, $link, $id, $upn, $values, ImportReport::UPDATED, $report, $settings, $dryRun);

        return $link->uid;
      }
      // The linked account was deleted in Drupal: match afresh.
      if (!$dryRun) {
        $this->links->delete($link->uid);
      }
    }

    $mail = isset($values['mail']) && is_string($values['mail']) && $values['mail'] !== '' ? $values['mail'] : NULL;
    $name = isset($values['name']) && is_string($values['name']) && $values['name'] !== '' ? $values['name'] : NULL;
    $candidate = $this->candidate($mail, $name);
    if (is_string($candidate)) {
      $this->conflict($report, $id, $upn, NULL, $candidate);

      return NULL;
    }
    if ($candidate !== NULL) {
      $linked = $this->matchCandidate($candidate['uid'], $candidate['on'], $id, $upn, $values, $attributes, $report, $settings, $dryRun);

      return $linked ? $candidate['uid'] : NULL;
    }
    if (!$settings->importCreateAccounts()) {
      $report->add(ImportReport::SKIPPED, $id, $upn, NULL, 'No matching Drupal account, and creating accounts is off.');

      return NULL;
    }
    if ($name === NULL) {
      // A delta page lists only changed properties: this user's name is
      // not among them, and it was never imported.
      $report->add(ImportReport::SKIPPED, $id, $upn, NULL, 'Not enough data to create an account (no userPrincipalName in this change); "drush entra:import --full" reads it completely.');

      return NULL;
    }
    $create = ['name' => $name, 'mail' => $mail ?? '', 'status' => isset($values['status']) ? (empty($values['status']) ? 0 : 1) : 1];
    if (isset($values['fields']) && is_array($values['fields']) && $values['fields'] !== []) {
      $create['fields'] = $values['fields'];
    }
    if ($dryRun) {
      $report->add(ImportReport::CREATED, $id, $upn, NULL, sprintf('Would create the account "%s".', $name));

      return NULL;
    }
    $uid = $this->accounts->create($create);
    $this->links->save(LinkRecord::succeeded(NULL, $uid, 'imported', $id, $upn !== '' ? $upn : NULL, NULL, $this->clock->getCurrentTime(), LinkRecord::PROVENANCE_CREATED));
    $report->add(ImportReport::CREATED, $id, $upn, $uid, sprintf('Created the account "%s".', $name));
    $this->logger->info('Entra ID import: created %name (uid @uid) for %upn (object @entra_id).', ['%name' => $name, '@uid' => $uid, '%upn' => $upn, '@entra_id' => $id, 'entra_uid' => $uid, 'entra_username' => $name, 'entra_upn' => $upn]);

    return $uid;
  }

  /**
   * The one Drupal account sharing the mail (or else the name) of an
   * unlinked Entra user, a conflict message when the mail is shared by
   * several, or null.
   *
   * @return array{uid: int, on: string}|string|null
   */
  private function candidate(?string $mail, ?string $name) {
    if ($mail !== NULL) {
      $uids = $this->accounts->findByMail($mail);
      if (count($uids) > 1) {
        return sprintf('%d Drupal accounts use the e-mail address %s; none was linked.', count($uids), $mail);
      }
      if (count($uids) === 1) {
        return ['uid' => $uids[0], 'on' => 'mail'];
      }
    }
    if ($name !== NULL) {
      $uids = $this->accounts->findByName($name);
      if ($uids !== []) {
        return ['uid' => $uids[0], 'on' => 'name'];
      }
    }

    return NULL;
  }

  /**
   * @param array<string, mixed> $values
   * @param array<string, mixed> $attributes
   */
  private function matchCandidate(int $uid, string $on, string $id, string $upn, array $values, array $attributes, ImportReport $report, ModuleSettings $settings, bool $dryRun): bool {
    $account = $this->accounts->load($uid);
    if ($account === NULL) {
      $report->add(ImportReport::SKIPPED, $id, $upn, $uid, 'The matching Drupal account no longer exists.');

      return FALSE;
    }
    $candidate = [
      'id' => $id,
      'userPrincipalName' => $upn !== '' ? $upn : NULL,
      'displayName' => is_string($attributes['displayName'] ?? NULL) ? $attributes['displayName'] : NULL,
      'mail' => is_string($attributes['mail'] ?? NULL) ? $attributes['mail'] : NULL,
      'accountEnabled' => is_bool($attributes['accountEnabled'] ?? NULL) ? $attributes['accountEnabled'] : NULL,
      'matched_on' => $on,
    ];
    $answer = $this->matcher->onDrupalMatch($account, $candidate, $values, $dryRun);
    $why = implode('; ', $answer['reasons']);
    switch ($answer['outcome']) {
      case 'link':
        $link = $this->links->load($uid);
        if (!$dryRun) {
          $this->links->save(LinkRecord::succeeded($link, $uid, 'imported', $id, $upn !== '' ? $upn : NULL, NULL, $this->clock->getCurrentTime(), LinkRecord::PROVENANCE_MATCHED));
          $link = $this->links->load($uid);
          $this->logger->notice('Entra ID import: linked uid @uid to %upn (object @entra_id) by the automatic matching policy (@on): @why', ['@uid' => $uid, '%upn' => $upn, '@entra_id' => $id, '@on' => $on, '@why' => $why, 'entra_uid' => $uid, 'entra_upn' => $upn]);
        }
        $this->updateLinked($account, $link, $id, $upn, $values, ImportReport::LINKED, $report, $settings, $dryRun, LinkRecord::PROVENANCE_MATCHED);

        return TRUE;

      case 'review':
        $report->add(ImportReport::REVIEW, $id, $upn, $uid, sprintf('Matches uid %d on %s; waits for an admin (Pending matches): %s.', $uid, $on, $why));

        return FALSE;

      case 'rejected':
        $report->add(ImportReport::SKIPPED, $id, $upn, $uid, sprintf('Matches uid %d on %s, but an admin rejected linking them.', $uid, $on));

        return FALSE;

      default:
        $report->add(ImportReport::CONFLICT, $id, $upn, $uid, sprintf('Matches uid %d on %s, which is never linked to it: %s.', $uid, $on, $why));
    }

    return FALSE;
  }

  /**
   * Writes what the library allows of the present values to a linked
   * account.
   *
   * @param array{uid: int, name: string, mail: string, status: int, roles: list<string>} $account
   * @param array<string, mixed> $values
   */
  private function updateLinked(array $account, ?LinkRecord $link, string $id, string $upn, array $values, string $matchedAs, ImportReport $report, ModuleSettings $settings, bool $dryRun, ?string $provenance = NULL): void {
    $uid = $account['uid'];
    $allowed = $this->clients->client()->decide([
      'decide' => 'import_write',
      'provenance' => $provenance ?? $link?->provenance,
      'deprovision_matched' => $settings->deprovisionMatched(),
      'account' => IdentityMatcher::accountFacts($account, $link),
      'values' => (object) $values,
    ]);
    $plan = $this->writer->plan($account, is_array($allowed['write'] ?? NULL) ? $allowed['write'] : []);
    $held = is_array($allowed['held'] ?? NULL) ? array_values(array_filter($allowed['held'], 'is_string')) : [];
    foreach ($plan['conflicts'] as $conflict) {
      $this->conflict($report, $id, $upn, $uid, $conflict);
    }
    if ($dryRun) {
      $differs = AccountWriter::wouldChange($account, $plan['write']);
      $result = $matchedAs === ImportReport::LINKED ? ImportReport::LINKED : ($differs === [] ? ImportReport::UNCHANGED : ImportReport::UPDATED);
      $report->add($result, $id, $upn, $uid, ($differs === [] ? 'Nothing to write.' : 'Would write: ' . implode(', ', $differs) . '.') . self::heldNote($held));

      return;
    }
    $changed = $plan['write'] === [] ? [] : $this->accounts->update($uid, $plan['write']);
    if ($link === NULL || $link->entraId !== $id || $link->upn !== ($upn !== '' ? $upn : $link->upn) || $changed !== []) {
      $this->links->save(LinkRecord::succeeded($link, $uid, 'imported', $id, $upn !== '' ? $upn : NULL, NULL, $this->clock->getCurrentTime()));
    }
    $result = $matchedAs === ImportReport::LINKED ? ImportReport::LINKED : ($changed === [] ? ImportReport::UNCHANGED : ImportReport::UPDATED);
    $report->add($result, $id, $upn, $uid, ($changed === [] ? 'Nothing changed.' : 'Changed: ' . implode(', ', $changed) . '.') . self::heldNote($held));
    if ($result !== ImportReport::UNCHANGED) {
      $this->logger->info('Entra ID import: @result uid @uid with %upn (object @entra_id)@changed.', [
        '@result' => $result,
        '@uid' => $uid,
        '%upn' => $upn,
        '@entra_id' => $id,
        '@changed' => ($changed === [] ? '' : ', changed ' . implode(', ', $changed)) . ($held !== [] ? '; not written: ' . implode(', ', $held) : ''),
        'entra_uid' => $uid,
        'entra_upn' => $upn,
      ]);
    }
  }

  /**
   * Applies the "groups" part of an entra_import_delta answer: each listed
   * user's memberships now (not a diff), and with complete_state every
   * linked user it does not list is in none of the tracked groups.
   *
   * @param array<string, mixed> $groups
   */
  public function applyGroupChanges(array $groups, ImportReport $report, ModuleSettings $settings, bool $dryRun): void {
    if ($this->groupRoles === NULL || !GroupRoleApplier::enabled($settings)) {
      return;
    }
    $listed = [];
    foreach (is_array($groups['changes'] ?? NULL) ? $groups['changes'] : [] as $change) {
      if (is_array($change) && is_string($change['id'] ?? NULL) && $change['id'] !== '') {
        $listed[strtolower($change['id'])] = TRUE;
        $this->applyMembership($change['id'], self::memberOf($change) ?? [], $report, $settings, $dryRun);
      }
    }
    if (!empty($groups['complete_state']) && $this->linkedAccounts !== NULL) {
      foreach ($this->linkedAccounts->linkedEntraIds() as $entraId) {
        if (!isset($listed[strtolower($entraId)])) {
          $this->applyMembership($entraId, [], $report, $settings, $dryRun);
        }
      }
    }
  }

  /**
   * One user's memberships reported by the groups delta: the import scope,
   * then the roles. Users not linked here are left alone.
   *
   * @param list<string> $memberOf
   */
  private function applyMembership(string $id, array $memberOf, ImportReport $report, ModuleSettings $settings, bool $dryRun): void {
    try {
      $link = $this->links->loadByEntraId($id);
      if ($link === NULL || $this->accounts->load($link->uid) === NULL || $this->groupRoles === NULL) {
        return;
      }
      if (!$this->inImportScope($id, (string) $link->upn, $memberOf, $report, $settings, $dryRun)) {
        return;
      }
      $this->groupRoles->apply($link->uid, $id, $memberOf, $report, $settings, $dryRun);
    }
    catch (\Throwable $e) {
      $message = (string) $this->clients->redact($e->getMessage());
      $report->add(ImportReport::FAILED, $id, (string) ($link->upn ?? ''), $link->uid ?? NULL, $message);
      $this->logger->error('Entra ID import of the group memberships of object @entra_id failed: @error', ['@entra_id' => $id, '@error' => $message]);
    }
  }

  /**
   * Whether the user is in the import scope (the library's answer). Out of
   * scope: a linked account is removed as a user removed in Entra ID
   * (reason out_of_scope, counted in the round); another is not imported.
   *
   * @param list<string> $memberOf
   */
  private function inImportScope(string $id, string $upn, array $memberOf, ImportReport $report, ModuleSettings $settings, bool $dryRun): bool {
    if ($this->groupRoles === NULL || $settings->importScopeGroups() === []) {
      return TRUE;
    }
    $scope = $this->groupRoles->scope($settings, $memberOf);
    if ($scope['in_scope']) {
      return TRUE;
    }
    $link = $this->links->loadByEntraId($id);
    if ($link === NULL) {
      $report->add(ImportReport::SKIPPED, $id, $upn, NULL, 'Not a member of the import scope groups: not imported.');

      return FALSE;
    }
    $this->collectRemoval($id, $scope['removal_reason'] ?? 'out_of_scope', $report, $dryRun);

    return FALSE;
  }

  /**
   * The "member_of" of a change, or null when the import did not report it.
   *
   * @param array<string, mixed> $change
   *
   * @return list<string>|null
   */
  private static function memberOf(array $change): ?array {
    if (!is_array($change['member_of'] ?? NULL)) {
      return NULL;
    }

    return array_values(array_filter($change['member_of'], 'is_string'));
  }

  /**
   * Entra -> Drupal removals wait for the end of their round.
   */
  private function collectRemoval(string $id, string $reason, ImportReport $report, bool $dryRun): void {
    $link = $this->links->loadByEntraId($id);
    if ($link === NULL) {
      $report->add(ImportReport::SKIPPED, $id, '', NULL, 'Removed in Entra ID, not linked to a Drupal account.');

      return;
    }
    $uid = $link->uid;
    if ($this->accounts->load($uid) === NULL) {
      if (!$dryRun) {
        $this->links->delete($uid);
      }
      $report->add(ImportReport::SKIPPED, $id, (string) $link->upn, $uid, 'Removed in Entra ID; the Drupal account no longer exists.');

      return;
    }
    $report->removals[] = ['uid' => $uid, 'id' => $id, 'upn' => (string) $link->upn, 'reason' => $reason];
    if (!$dryRun) {
      $this->removals->collect($uid, $id, $reason);
    }
  }

  private function conflict(ImportReport $report, string $id, string $upn, ?int $uid, string $detail): void {
    $report->add(ImportReport::CONFLICT, $id, $upn, $uid, $detail);
    $this->logger->warning('Entra ID import conflict for %upn (object @entra_id): @detail', ['%upn' => $upn, '@entra_id' => $id, '@detail' => $detail, 'entra_upn' => $upn]);
  }

  /**
   * @param list<string> $held
   */
  private static function heldNote(array $held): string {
    return $held === [] ? '' : ' Not written (the link was matched automatically, or the account is uid 1): ' . implode(', ', $held) . '.';
  }

}
