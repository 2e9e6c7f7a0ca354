<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\Component\Datetime\TimeInterface;
use Drupal\entra_provisioning\Native\Exception\EntraException;
use Psr\Log\LoggerInterface;

/**
 * "Sync all users" (step 3, Batch API) and "drush entra:provision": which
 * users, in which chunks, and the summary.
 *
 * A chunk is split in two: accounts without an Entra link go through
 * entra_bulk_provision ($batch of 20, several in flight; created or linked);
 * accounts already linked are brought in step one by one through
 * entra_update_user (updated or unchanged), so a renamed Drupal account can
 * never create a second Entra user. Throttled or unavailable users are
 * handed to the queue ("queued"); every failure is logged to
 * user_provisioning with its cause and recorded in the link table.
 */
final class BulkSync {

  public function __construct(
    private ClientFactory $clients,
    private Provisioner $provisioner,
    private LinkStoreInterface $links,
    private UserSourceInterface $users,
    private TimeInterface $clock,
    private ResultFormatter $formatter,
    private LoggerInterface $logger,
    private IdentityMatcher $matcher,
    private QuotaWorkers $workers
  ) {
  }

  /**
   * Why a bulk synchronisation may not run now, or null when it may: it is
   * a manual provisioning, so the direction and "Create User" under
   * Manual provisioning must be on.
   */
  public function refusal(): ?string {
    $settings = $this->clients->settings();
    if (!$settings->drupalToEntra()) {
      return 'Drupal → Entra ID is off on step 2 (Direction): nothing is provisioned.';
    }
    if (!$settings->manualCreate()) {
      return 'Manual creation is off: tick "Create users on demand" under Manual / on-demand on step 3 and save first.';
    }

    return NULL;
  }

  /**
   * The chunk size to use: the requested one (Drush --chunk) or the
   * configured one, within the library's limit per call.
   *
   * @throws \InvalidArgumentException
   *   When $requested is outside 1 and the library's limit.
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   *   When the library cannot be loaded (nothing can be sent then).
   */
  public function chunkSize(?int $requested = NULL): int {
    $limit = $this->clients->facts()->maxUsersPerCall();
    if ($requested === NULL) {
      return min($limit, $this->clients->settings()->bulkChunkSize());
    }
    if ($requested < 1 || $requested > $limit) {
      throw new \InvalidArgumentException(sprintf('The chunk size must be between 1 and %d, got %d.', $limit, $requested));
    }

    return $requested;
  }

  /**
   * The accounts "all users" means (default scope: no uid 1, no blocked
   * accounts).
   */
  public function countActive(?BulkScope $scope = NULL): int {
    return $this->users->count($scope ?? new BulkScope());
  }

  /**
   * @return list<int>
   */
  public function nextActiveChunk(int $afterUid, int $size, ?BulkScope $scope = NULL): array {
    return $this->users->uidsAfter($afterUid, $size, $scope ?? new BulkScope());
  }

  /**
   * The uids of the named accounts, and the names that match none.
   *
   * @param list<string> $names
   *
   * @return array{uids: list<int>, missing: list<string>}
   */
  public function resolveNames(array $names): array {
    $names = array_values(array_unique(array_filter(array_map('trim', $names), static fn (string $n): bool => $n !== '')));
    $found = $this->users->uidsByNames($names);
    $missing = [];
    foreach ($names as $name) {
      if (!isset($found[$name])) {
        $missing[] = $name;
      }
    }

    return ['uids' => array_values(array_unique(array_values($found))), 'missing' => $missing];
  }

  /**
   * Synchronises the given users (null: every active account) chunk by
   * chunk; stops early after an error that every user would hit.
   *
   * @param list<int>|null $uids
   * @param callable(BulkSummary, int, int): void|null $onChunk
   *   Called after each chunk with the summary so far, the users done and
   *   the total.
   */
  public function run(?array $uids, int $chunkSize, ?callable $onChunk = NULL, ?BulkScope $scope = NULL): BulkSummary {
    $summary = new BulkSummary();
    $chunkSize = $this->chunkSize($chunkSize);
    if ($uids !== NULL) {
      $total = count($uids);
      $done = 0;
      foreach (array_chunk($uids, $chunkSize) as $chunk) {
        if ($summary->stopBeforeNextChunk()) {
          break;
        }
        $summary->merge($this->syncChunk($chunk));
        $done += count($chunk);
        if ($onChunk !== NULL) {
          $onChunk($summary, $done, $total);
        }
      }

      return $summary;
    }
    $total = $this->countActive($scope);
    $done = 0;
    $after = 0;
    while (($chunk = $this->nextActiveChunk($after, $chunkSize, $scope)) !== [] && !$summary->stopBeforeNextChunk()) {
      $summary->merge($this->syncChunk($chunk));
      $done += count($chunk);
      $after = max($chunk);
      if ($onChunk !== NULL) {
        $onChunk($summary, $done, max($total, $done));
      }
    }

    return $summary;
  }

  /**
   * What provisioning would send for each user (password redacted); sends
   * nothing.
   *
   * @param list<int> $uids
   *
   * @return list<array<string, mixed>>
   *   Provisioner::preview() results, plus 'linked' => ?string (the Entra
   *   object id when the account is linked: a sync updates it instead).
   */
  public function preview(array $uids): array {
    $previews = [];
    foreach ($uids as $uid) {
      $preview = $this->provisioner->preview($uid);
      $link = $this->links->load($uid);
      $preview['linked'] = $link !== NULL && $link->isLinked() ? $link->entraId : NULL;
      $previews[] = $preview;
    }

    return $previews;
  }

  /**
   * Synchronises one chunk (at most 1000 users).
   *
   * @param list<int> $uids
   */
  public function syncChunk(array $uids): BulkSummary {
    try {
      return $this->syncLoadedChunk($uids);
    }
    finally {
      // Drupal's entity memory cache would otherwise keep every account
      // of the run: memory stays flat whatever the number of users.
      $this->users->resetCache($uids);
    }
  }

  /**
   * @param list<int> $uids
   */
  private function syncLoadedChunk(array $uids): BulkSummary {
    $summary = new BulkSummary();
    $fields = $this->clients->mappedFieldNames();
    $unlinked = [];
    $linked = [];
    $loaded = $this->users->loadMultiple($uids, $fields);
    foreach ($uids as $uid) {
      $user = $loaded[$uid] ?? NULL;
      if ($user === NULL) {
        $summary->fail($uid, '', sprintf('There is no Drupal account with uid %d.', $uid));
        continue;
      }
      $link = $this->links->load($uid);
      if ($link !== NULL && $link->isLinked()) {
        $linked[$uid] = (string) $user['name'];
      }
      else {
        $previous = $link?->previousAttempt();
        $unlinked[] = $previous !== NULL ? $user + ['previous_attempt' => $previous] : $user;
      }
    }
    if ($unlinked !== [] && !$this->provisionChunk($unlinked, $summary)) {
      return $summary;
    }
    $budgetMs = $this->clients->settings()->bulkBudgetMs();
    foreach ($linked as $uid => $name) {
      $outcome = $this->provisioner->updateNow($uid, $budgetMs);
      switch ($outcome->status) {
        case Outcome::DONE:
          $action = (string) ($outcome->result['action'] ?? BulkSummary::UPDATED);
          $summary->add($action === BulkSummary::UNCHANGED ? BulkSummary::UNCHANGED : BulkSummary::UPDATED);
          break;

        case Outcome::RETRY:
          $summary->add(BulkSummary::QUEUED);
          break;

        default:
          // Logged and recorded by the provisioner.
          $summary->fail($uid, $name, $outcome->message);
      }
    }

    return $summary;
  }

  /**
   * Queues the groups the roles of a user just created or linked map to;
   * a failure is logged (the account itself is done).
   *
   * @param list<string> $roles
   */
  private function queueMemberships(int $uid, string $name, array $roles): int {
    try {
      return $this->provisioner->queueMemberships($uid, NULL, $roles);
    }
    catch (\Throwable $e) {
      $this->logger->error('Could not queue the Entra ID group memberships of %name (uid @uid): @error', ['%name' => $name, '@uid' => $uid, '@error' => $this->clients->redact($e->getMessage())]);

      return 0;
    }
  }

  /**
   * @param list<array<string, mixed>> $users
   *
   * @return bool
   *   False when the chunk met an error every user would hit (the summary
   *   is marked aborted; the linked users of the chunk are not updated).
   */
  private function provisionChunk(array $users, BulkSummary $summary): bool {
    $now = $this->clock->getCurrentTime();
    try {
      $budgetMs = $this->clients->settings()->bulkBudgetMs();
      $client = $this->clients->client($budgetMs);
      $response = $this->workers->sendInCalls($users, (int) ceil($budgetMs / 1000) + 60, $this->clients->facts()->usersPerSharedCall(), static fn (array $part, int $workers): array => $client->bulkProvision($part, $workers));
    }
    catch (\Throwable $e) {
      $error = $this->clients->redact($this->formatter->describeError($e));
      $cause = $this->formatter->summary($error);
      if ($error['retryable'] && $this->queueChunk($users, $now, $summary, $cause)) {
        // Graph is throttling or out of reach: the queue waits it
        // out, and the next chunk would meet the same.
        $summary->outage = $error['scope'] === 'connection' ? $cause : NULL;

        return TRUE;
      }
      foreach ($users as $user) {
        $uid = (int) $user['uid'];
        $this->links->save(LinkRecord::failedAttempt($this->links->load($uid), $uid, QueueItem::OP_PROVISION, LinkRecord::RESULT_FAILED, $error['code'] !== NULL ? (string) $error['code'] : (string) $error['kind'], (string) $error['message'], $error['request_id'], $now));
        $summary->fail($uid, (string) $user['name'], $cause);
      }
      $this->logger->error('Entra ID bulk provisioning of @count user(s) failed: @error', ['@count' => count($users), '@error' => $cause, 'entra_error_kind' => $error['kind']]);
      $summary->aborted = $error['scope'] === 'connection' ? $cause : NULL;
      if ($summary->aborted === NULL) {
        return TRUE;
      }

      return FALSE;
    }
    $results = is_array($response['results'] ?? NULL) ? array_values($response['results']) : [];
    // Users handed to the queue for a reason that is not theirs (Graph
    // throttling or out of reach), and the first such cause.
    $deferred = 0;
    $outage = NULL;
    foreach ($users as $index => $user) {
      $uid = (int) $user['uid'];
      $name = (string) $user['name'];
      $result = is_array($results[$index] ?? NULL) ? $this->clients->redact($results[$index]) : ['ok' => FALSE, 'error' => ['kind' => 'internal', 'message' => 'The library returned no result for this user.', 'retryable' => FALSE, 'scope' => 'connection']];
      $taken = !empty($result['ok']) ? NULL : EntraException::fromErrorArray(is_array($result['error'] ?? NULL) ? $result['error'] : [], 'entra_bulk_provision')->existing();
      if ($taken !== NULL) {
        $this->settleConflict($user, $taken, $summary);
        continue;
      }
      if (!empty($result['ok'])) {
        $action = ($result['action'] ?? '') === 'linked' ? BulkSummary::LINKED : BulkSummary::CREATED;
        $entraId = isset($result['id']) && is_string($result['id']) ? $result['id'] : NULL;
        $upn = isset($result['userPrincipalName']) && is_string($result['userPrincipalName']) ? $result['userPrincipalName'] : NULL;
        $requestId = isset($result['request_id']) && is_string($result['request_id']) ? $result['request_id'] : NULL;
        $this->links->save(LinkRecord::succeeded($this->links->load($uid), $uid, $action, $entraId, $upn, $requestId, $now, LinkRecord::PROVENANCE_CREATED));
        $summary->add($action);
        $summary->membershipChanges += $this->queueMemberships($uid, $name, is_array($user['roles'] ?? NULL) ? array_values($user['roles']) : []);
        $this->logger->info('Entra ID bulk provisioning: @action %upn (object @entra_id) for %name (uid @uid), request-id @request_id.', [
          '@action' => $action, '%upn' => (string) $upn, '@entra_id' => (string) $entraId, '%name' => $name, '@uid' => $uid, '@request_id' => $requestId ?? '-',
          'entra_uid' => $uid, 'entra_username' => $name, 'entra_action' => $action, 'entra_upn' => $upn, 'entra_request_id' => $requestId,
        ]);
        continue;
      }
      $exception = EntraException::fromErrorArray(is_array($result['error'] ?? NULL) ? $result['error'] : [], 'entra_bulk_provision');
      $error = $this->clients->redact($this->formatter->describeError($exception));
      $cause = $this->formatter->summary($error);
      $context = [
        '%name' => $name, '@uid' => $uid, '@error' => $cause,
        'entra_uid' => $uid, 'entra_username' => $name, 'entra_action' => QueueItem::OP_PROVISION,
        'entra_request_id' => $error['request_id'], 'entra_error_kind' => $error['kind'], 'entra_error_code' => $error['code'],
      ];
      if ($exception->isRetryable()) {
        try {
          $this->recordAttempt($user, $now);
          $this->provisioner->enqueue(QueueItem::OP_PROVISION, $uid);
          $summary->add(BulkSummary::QUEUED);
          $this->logger->warning('Entra ID bulk provisioning of %name (uid @uid) handed to the queue: @error', $context);
          if ($error['scope'] === 'connection') {
            $deferred++;
            $outage = $outage ?? $cause;
          }
          continue;
        }
        catch (\Throwable $queueError) {
          $cause .= ' It could not be queued either: ' . $this->clients->redact($queueError->getMessage());
          $context['@error'] = $cause;
        }
      }
      $this->links->save(LinkRecord::failedAttempt($this->links->load($uid), $uid, QueueItem::OP_PROVISION, LinkRecord::RESULT_FAILED, $error['code'] !== NULL ? (string) $error['code'] : (string) $error['kind'], (string) $error['message'], $error['request_id'], $now));
      $summary->fail($uid, $name, $cause);
      $this->logger->error('Entra ID bulk provisioning of %name (uid @uid) failed: @error', $context);
      if ($error['scope'] === 'connection' && !$error['retryable']) {
        $summary->aborted = $summary->aborted ?? $cause;
      }
    }
    $summary->outage = $deferred === count($users) ? $outage : NULL;

    return $summary->aborted === NULL;
  }

  /**
   * Hands a whole chunk to the queue after a retryable failure of the call.
   *
   * @param list<array<string, mixed>> $users
   *
   * @return bool
   *   False when the queue refused (the caller records the users failed).
   */
  private function queueChunk(array $users, int $now, BulkSummary $summary, string $cause): bool {
    try {
      foreach ($users as $user) {
        // The call may have created some of them before it failed.
        $this->recordAttempt($user, $now);
        $this->provisioner->enqueue(QueueItem::OP_PROVISION, (int) $user['uid']);
      }
    }
    catch (\Throwable $queueError) {
      $this->logger->error('Entra ID bulk provisioning could not queue a chunk: @error', ['@error' => $this->clients->redact($queueError->getMessage())]);

      return FALSE;
    }
    foreach ($users as $user) {
      $summary->add(BulkSummary::QUEUED);
    }
    $this->logger->warning('Entra ID bulk provisioning of @count user(s) handed to the queue: @error', ['@count' => count($users), '@error' => $cause]);

    return TRUE;
  }

  /**
   * A create handed to the queue may have happened (its answer lost): the
   * queue's retry looks for the account this chunk made first.
   *
   * @param array<string, mixed> $user
   */
  private function recordAttempt(array $user, int $chunkStarted): void {
    $uid = (int) $user['uid'];
    $planned = $this->clients->client()->mapUser($user)['userPrincipalName'] ?? NULL;
    if (is_string($planned) && $planned !== '') {
      $this->links->save(LinkRecord::attempting($this->links->load($uid), $uid, $planned, $chunkStarted));
    }
  }

  /**
   * A user whose UPN or mail an existing Entra account holds: the
   * library's matching rules decide (link, pending match, refused).
   *
   * @param array<string, mixed> $user
   * @param array<string, mixed> $existing
   */
  private function settleConflict(array $user, array $existing, BulkSummary $summary): void {
    $uid = (int) $user['uid'];
    $name = (string) $user['name'];
    try {
      $outcome = $this->matcher->onEntraConflict($user, $this->clients->redact($existing), $this->clients->settings()->bulkBudgetMs());
    }
    catch (\Throwable $e) {
      $error = $this->clients->redact($this->formatter->describeError($e));
      $summary->fail($uid, $name, $this->formatter->summary($error));

      return;
    }
    switch ($outcome->status) {
      case Outcome::DONE:
        $summary->add(BulkSummary::LINKED);
        break;

      case Outcome::REVIEW:
        $summary->add(BulkSummary::REVIEW);
        break;

      default:
        $summary->fail($uid, $name, $outcome->message);
    }
  }

}
