<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\Component\Datetime\TimeInterface;
use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\NativeClientInterface;
use Psr\Log\LoggerInterface;

/**
 * Provisions Drupal accounts into Entra ID and keeps them in step: queues the
 * work (provision, update, disable, delete), runs it in per-user order,
 * records the outcome in the link table and logs it to the user_provisioning
 * channel.
 *
 * Every decision about the error itself (its kind, whether it is retryable,
 * the Retry-After delay, the hint) comes from the native library. This class
 * only maps those facts onto the queue: retry later, stop the queue until an
 * admin fixes the configuration, or give up on this user.
 *
 * Ordering: each queued item carries a per-user sequence number; an item
 * runs only once every earlier item of that user has finished (done or
 * failed for good), so an update or delete never overtakes the create of the
 * same user, whatever order the queue backend hands items out in.
 */
final class Provisioner {

  public const STATE_LAST_TEST = 'entra_provisioning.last_test';

  public const LOCK_PREFIX = 'entra_provisioning:user:';

  /**
   * Delay when a retryable error carries no Retry-After.
   */
  public const DEFAULT_RETRY_DELAY = 60;

  /**
   * A per-user lock outlives the longest call made under it by this much.
   */
  public const LOCK_MARGIN = 30.0;

  public const MAX_RETRY_DELAY = 3600;

  /**
   * Delay when another process holds the user's lock.
   */
  public const LOCKED_DELAY = 5;

  /**
   * Queue items older than this are given up (recorded as failed) instead
   * of being retried once more.
   */
  public const MAX_ITEM_AGE = 7 * 86400;

  /**
   * Delay of an item that waits for an earlier item of the same user.
   */
  public const ORDER_DELAY = 15;

  /**
   * Users whose earlier item was deferred in this process: uid => unix time.
   * Later items of the same user wait too, so they never overtake it.
   *
   * @var array<int, int>
   */
  private array $deferredUntil = [];

  public function __construct(
    private ClientFactory $clients,
    private LinkStoreInterface $links,
    private UserSourceInterface $users,
    private ProvisioningQueueInterface $queue,
    private UserLockInterface $lock,
    private StateStoreInterface $state,
    private TimeInterface $clock,
    private ResultFormatter $formatter,
    private LoggerInterface $logger,
    private IdentityMatcher $matcher,
    private RemovalGuard $removals,
    private QueueSuspension $suspension,
    private QuotaWorkers $workers
  ) {
  }

  public function settings(): ModuleSettings {
    return $this->clients->settings();
  }

  /**
   * Asks the library's rules a question (entra_decide; no client, no
   * network).
   *
   * @param array<string, mixed> $question
   *
   * @return array<string, mixed>
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   */
  public function decide(array $question): array {
    return $this->clients->decide($question);
  }

  /**
   * The Drupal fields the mapping reads (the library's answer).
   *
   * @return list<string>
   */
  public function mappedFieldNames(): array {
    return $this->clients->mappedFieldNames();
  }

  /**
   * Queues an operation for a user, with the user's next sequence number,
   * and marks the link record pending.
   *
   * @param string|null $entraId
   *   For disable/delete: the Entra object id known now (the Drupal account
   *   may be gone when the item runs).
   *
   * @param array{add?: list<string>, remove?: list<string>} $groups
   *   For QueueItem::OP_MEMBERSHIPS: the group ids to add and remove.
   *
   * @throws \RuntimeException
   *   When the queue backend fails (the sequence number is given back).
   */
  public function enqueue(string $op, int $uid, ?string $entraId = NULL, bool $released = FALSE, ?string $provenance = NULL, array $groups = []): QueueItem {
    $now = $this->clock->getCurrentTime();
    $item = NULL;
    $this->links->reserveSequence($uid, $now, function (int $seq) use (&$item, $op, $uid, $now, $entraId, $released, $provenance, $groups): void {
      $item = new QueueItem($op, $uid, $now, $seq, $entraId, $released, $provenance, $groups);
      $this->queue->enqueue($item);
    });
    if (!$item instanceof QueueItem) {
      throw new \LogicException('The link store did not run the enqueue callback.');
    }
    $this->links->save(LinkRecord::pending($this->links->load($uid), $uid, $op, $now));

    return $item;
  }

  /**
   * Queues the group memberships the library derives from a role change
   * (entra_decide "membership_changes"; roles before null: a new or newly
   * provisioned account, every group its roles map to), in the user's
   * order.
   *
   * @param list<string>|null $rolesBefore
   * @param list<string> $rolesAfter
   *
   * @return int
   *   The group changes queued (0: none, no rule, or not linked and nothing
   *   queued before).
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   *   When the library cannot be asked.
   */
  public function queueMemberships(int $uid, ?array $rolesBefore, array $rolesAfter): int {
    $rules = $this->settings()->provisionRules();
    if ($rules === []) {
      return 0;
    }
    $answer = $this->decide(['decide' => 'membership_changes', 'rules' => $rules, 'roles_before' => $rolesBefore, 'roles_after' => array_values($rolesAfter)]);
    $groups = ['add' => self::groupIds($answer['add'] ?? NULL), 'remove' => self::groupIds($answer['remove'] ?? NULL)];
    $count = count($groups['add']) + count($groups['remove']);
    $link = $this->links->load($uid);
    if ($count === 0 || $link === NULL || (!$link->isLinked() && $link->queuedSeq <= $link->doneSeq)) {
      // Nothing in Entra ID and nothing queued that would create it.
      return 0;
    }
    $this->enqueue(QueueItem::OP_MEMBERSHIPS, $uid, $link->isLinked() ? $link->entraId : NULL, FALSE, $link->provenance, $groups);
    $this->logger->info('Queued the Entra ID group memberships of uid @uid: add [@add], remove [@remove].', $this->context($uid, '', QueueItem::OP_MEMBERSHIPS, $link->upn, NULL) + [
      '@add' => implode(', ', $groups['add']),
      '@remove' => implode(', ', $groups['remove']),
    ]);

    return $count;
  }

  /**
   * @param mixed $rows
   *   [{group_id, role}, ...] of a membership_changes answer.
   *
   * @return list<string>
   */
  private static function groupIds($rows): array {
    $ids = [];
    foreach (is_array($rows) ? $rows : [] as $row) {
      if (is_array($row) && is_string($row['group_id'] ?? NULL) && $row['group_id'] !== '') {
        $ids[] = $row['group_id'];
      }
    }

    return array_values(array_unique($ids));
  }

  /**
   * A new Drupal account was saved: queue its provisioning if automatic
   * creation is on. Never throws (a user save must not fail because of us).
   *
   * @return bool
   *   Whether work was queued (the caller then asks for post-response
   *   processing).
   */
  public function onUserInsert(int $uid, string $name): bool {
    try {
      $settings = $this->settings();
      if (!$settings->drupalToEntra() || !$settings->autoCreate()) {
        return FALSE;
      }
      $this->enqueue(QueueItem::OP_PROVISION, $uid);
    }
    catch (\Throwable $e) {
      $this->logger->error('Could not queue the Entra ID provisioning of %name (uid @uid): @error', $this->context($uid, $name, QueueItem::OP_PROVISION, NULL, NULL) + [
        '@error' => $this->clients->redact($e->getMessage()),
      ]);

      return FALSE;
    }
    $this->logger->info('Queued the Entra ID provisioning of %name (uid @uid).', $this->context($uid, $name, QueueItem::OP_PROVISION, NULL, NULL));

    return TRUE;
  }

  /**
   * Manual "Sync": provisions the user now, or brings its linked Entra
   * account in step. A create that meets an existing account ends as a
   * pending match (Outcome::REVIEW) the admin can approve at once.
   */
  public function provisionNow(int $uid): Outcome {
    if (!$this->settings()->manualCreate()) {
      return new Outcome(Outcome::FAILED, 'Manual creation is off: tick "Create users on demand" under Manual provisioning and save first.');
    }
    $budgetMs = $this->settings()->interactiveBudgetMs();
    $link = $this->links->load($uid);
    if ($link !== NULL && $link->isLinked()) {
      return $this->update($uid, NULL, $budgetMs);
    }
    $outcome = $this->provision($uid, NULL, $budgetMs);
    if ($outcome->status === Outcome::DONE && $this->settings()->provisionRules() !== []) {
      // The groups its roles map to follow through the queue.
      try {
        $user = $this->users->load($uid, []);
        $this->queueMemberships($uid, NULL, is_array($user['roles'] ?? NULL) ? array_values($user['roles']) : []);
      }
      catch (\Throwable $e) {
        $this->logger->error('Could not queue the Entra ID group memberships of uid @uid: @error', ['@uid' => $uid, '@error' => $this->clients->redact($e->getMessage())]);
      }
    }

    return $outcome;
  }

  /**
   * Runs one queue item (in per-user order, see the class comment).
   *
   * @param float|null $budgetSeconds
   *   How long the item may take (what is left of a post-response or cron
   *   budget); null: the queue budget of the settings. The library never
   *   waits past it: a longer Retry-After comes back as RETRY.
   */
  public function process(QueueItem $item, ?float $budgetSeconds = NULL): Outcome {
    $budgetMs = $budgetSeconds !== NULL ? max(1, (int) floor($budgetSeconds * 1000)) : $this->settings()->queueBudgetMs();
    $waiting = $this->waitingOutcome($item);
    if ($waiting !== NULL) {
      return $waiting;
    }

    switch ($item->op) {
      case QueueItem::OP_UPDATE:
        $outcome = $this->update($item->uid, $item, $budgetMs);
        break;

      case QueueItem::OP_DISABLE:
      case QueueItem::OP_ENABLE:
      case QueueItem::OP_DELETE:
        $outcome = $this->removeInEntra($item, $budgetMs);
        break;

      case QueueItem::OP_MEMBERSHIPS:
        $outcome = $this->memberships($item, $budgetMs);
        break;

      default:
        $outcome = $this->provision($item->uid, $item, $budgetMs);
    }
    return $this->finished($item, $outcome);
  }

  /**
   * What every processed item records: its sequence number when it leaves
   * the queue, and the lifting of a suspension it ran through.
   */
  private function finished(QueueItem $item, Outcome $outcome): Outcome {
    if ($item->seq > 0 && $outcome->removesItem()) {
      $this->links->markDone($item->uid, $item->seq);
    }
    if ($outcome->status !== Outcome::BLOCKED) {
      // The probe after the suspension's delay (or any item since) ran
      // without a blocking error: if the cause is still there, the
      // next item suspends the queue again.
      $this->suspension->lift(sprintf('the %s of uid %d ran without a blocking error', $item->op, $item->uid));
    }

    return $outcome;
  }

  /**
   * Why $item may not run now (the queue is suspended, or an earlier item of
   * the same user has not finished), or null when it may.
   */
  private function waitingOutcome(QueueItem $item): ?Outcome {
    $now = $this->clock->getCurrentTime();
    $suspended = $this->suspension->waitSeconds();
    if ($suspended > 0) {
      $current = $this->suspension->current();

      return new Outcome(Outcome::BLOCKED, sprintf('Provisioning is suspended: %s', (string) ($current['summary'] ?? '')), NULL, NULL, $suspended);
    }
    $until = $this->deferredUntil[$item->uid] ?? 0;
    if ($until > $now) {
      return new Outcome(Outcome::RETRY, sprintf('An earlier item of user %d waits for a retry; this one waits too.', $item->uid), NULL, NULL, $until - $now);
    }
    if ($item->seq > 0) {
      $link = $this->links->load($item->uid);
      if ($link !== NULL && $item->seq <= $link->doneSeq) {
        // A backend that delivers an item twice (its deletion failed
        // after the work was done): the work is done.
        return new Outcome(Outcome::DONE, sprintf('Item %d of user %d was already processed.', $item->seq, $item->uid));
      }
      if ($link !== NULL && $link->hasEarlierWork($item->seq)) {
        if ($now - $item->enqueuedAt <= self::MAX_ITEM_AGE) {
          return new Outcome(Outcome::RETRY, sprintf('Item %d of user %d waits for the earlier item %d.', $item->seq, $item->uid, $link->doneSeq + 1), NULL, NULL, self::ORDER_DELAY);
        }
        // Older than any earlier item can be (those are given up after
        // MAX_ITEM_AGE): that item was lost (e.g. "drush queue:delete").
        $this->logger->warning('Entra ID @action of uid @uid runs although earlier item @missing never finished (lost from the queue?).', $this->context($item->uid, '', $item->op, NULL, NULL) + ['@missing' => $link->doneSeq + 1]);
      }
    }

    return NULL;
  }

  /**
   * Brings the linked Entra account of a user in step now (bulk sync of
   * users that are already linked). Throttling hands the work to the queue.
   */
  public function updateNow(int $uid, ?int $budgetMs = NULL): Outcome {
    return $this->update($uid, NULL, $budgetMs ?? $this->settings()->interactiveBudgetMs());
  }

  /**
   * What provisioning would send for the user (the library redacts the password).
   *
   * "groups": the Entra ID groups the account's roles put it in (the
   * library's membership_changes for its roles; [] without provisioning
   * rules).
   *
   * @return array{ok: bool, uid: int, name: ?string, body: ?array, error: ?array, groups?: list<array{group_id: string, role: string}>}
   */
  public function preview(int $uid): array {
    $user = $this->users->load($uid, $this->clients->mappedFieldNames());
    if ($user === NULL) {
      return ['ok' => FALSE, 'uid' => $uid, 'name' => NULL, 'body' => NULL, 'error' => $this->missingUserError($uid)];
    }
    try {
      $body = $this->clients->client($this->settings()->interactiveBudgetMs())->mapUser($user);
      $rules = $this->settings()->provisionRules();
      $groups = [];
      if ($rules !== []) {
        $answer = $this->decide(['decide' => 'membership_changes', 'rules' => $rules, 'roles_before' => NULL, 'roles_after' => array_values((array) ($user['roles'] ?? []))]);
        $groups = is_array($answer['add'] ?? NULL) ? array_values(array_filter($answer['add'], 'is_array')) : [];
      }

      return ['ok' => TRUE, 'uid' => $uid, 'name' => (string) $user['name'], 'body' => $this->clients->redact($body), 'error' => NULL, 'groups' => $groups];
    }
    catch (\Throwable $e) {
      return ['ok' => FALSE, 'uid' => $uid, 'name' => (string) $user['name'], 'body' => NULL, 'error' => $this->clients->redact($this->formatter->describeError($e))];
    }
  }

  /**
   * Gets a token and reads the test user; the result is kept in State for
   * the overview, the status report and the "Test result" page.
   *
   * @return array<string, mixed>
   *   ['ok' => bool, 'time' => int, 'upn' => string, 'attributes' => array,
   *    'request_id' => ?string, 'error' => ?array, 'directions' => string[],
   *    'granted_permissions' => ?string[], 'missing_permissions' => ?string[]]
   *   (permissions null when the token's roles could not be read).
   */
  public function testConnection(?string $upn = NULL): array {
    $upn = trim($upn ?? $this->settings()->testUpn());
    $record = [
      'ok' => FALSE, 'time' => $this->clock->getCurrentTime(), 'upn' => $upn, 'attributes' => [], 'request_id' => NULL, 'error' => NULL,
      'directions' => $this->settings()->directions(), 'features' => $this->settings()->groupFeatures(),
      'granted_permissions' => NULL, 'missing_permissions' => NULL,
    ];
    if ($upn === '') {
      $record['error'] = [
        'kind' => 'config', 'title' => 'Configuration incomplete', 'message' => 'No Test UPN/ID is set.',
        'code' => NULL, 'aadsts' => NULL, 'graph_code' => NULL, 'http_status' => NULL, 'request_id' => NULL,
        'field' => 'test_upn', 'fix' => 'Enter the UPN or object id of an existing Entra ID user on step 1.',
        'retryable' => FALSE, 'retry_after' => NULL, 'scope' => 'connection',
      ];
    }
    else {
      try {
        $result = $this->clients->client($this->settings()->interactiveBudgetMs())->testConnection($upn, $record['directions'], $record['features']);
        $record['ok'] = TRUE;
        $record['attributes'] = is_array($result['attributes'] ?? NULL) ? $result['attributes'] : [];
        $record['request_id'] = isset($result['request_id']) && is_string($result['request_id']) ? $result['request_id'] : NULL;
        $record['granted_permissions'] = self::stringList($result['granted_permissions'] ?? NULL);
        $record['missing_permissions'] = self::stringList($result['missing_permissions'] ?? NULL);
      }
      catch (\Throwable $e) {
        $record['error'] = $this->formatter->describeError($e);
        $record['request_id'] = $record['error']['request_id'];
      }
    }
    $record = $this->clients->redact($record);
    $this->state->set(self::STATE_LAST_TEST, $record);
    $context = ['%upn' => $upn, '@request_id' => $record['request_id'] ?? '-', 'entra_upn' => $upn, 'entra_request_id' => $record['request_id']];
    if ($record['ok'] && empty($record['missing_permissions'])) {
      // The cause of a suspension is fixed: the waiting items run on
      // the next queue run, not after the probe delay.
      $this->suspension->lift('a successful connection test');
    }
    if ($record['ok'] && !empty($record['missing_permissions'])) {
      $this->logger->warning('Entra ID connection test read %upn (request-id @request_id), but the application lacks @missing for the chosen directions and group features.', $context + ['@missing' => implode(', ', $record['missing_permissions'])]);
    }
    elseif ($record['ok']) {
      $this->logger->info('Entra ID connection test succeeded: read %upn (request-id @request_id).', $context);
    }
    else {
      $this->logger->warning('Entra ID connection test failed for %upn: @error', $context + ['@error' => $this->formatter->summary($record['error'])]);
    }

    return $record;
  }

  /**
   * The last connection test result, or null.
   *
   * @return array<string, mixed>|null
   */
  public function lastTest(): ?array {
    $value = $this->state->get(self::STATE_LAST_TEST);

    return is_array($value) ? $value : NULL;
  }

  private function provision(int $uid, ?QueueItem $item, int $budgetMs): Outcome {
    $existing = $this->links->load($uid);
    $user = $this->users->load($uid, $this->clients->mappedFieldNames());
    $settled = $this->beforeCreate($uid, $user, $item, $existing);
    if ($settled !== NULL || $user === NULL) {
      return $settled ?? new Outcome(Outcome::FAILED, 'No account.');
    }
    $name = (string) ($user['name'] ?? '');
    $lockName = self::LOCK_PREFIX . $uid;
    if (!$this->lock->acquire($lockName, self::lockSeconds($budgetMs))) {
      return new Outcome(Outcome::RETRY, sprintf('Another process is provisioning user %d.', $uid), NULL, NULL, self::LOCKED_DELAY);
    }
    try {
      $client = $this->clients->client($budgetMs);
      $result = $client->provisionUser($this->createRequest($client, $user, $existing));
    }
    catch (\Throwable $e) {
      return $this->createFailed($e, $user, $item, $existing, $budgetMs);
    }
    finally {
      $this->lock->release($lockName);
    }

    return $this->created($uid, $name, $this->clients->redact($result));
  }

  /**
   * Runs queued creates together through the library's bulk path ($batch
   * and its write pacing) instead of one Graph round trip per user. Each
   * item's outcome is what process() would give it: the same order checks,
   * locks, conflict rules and retries, and one user's failure never fails
   * another. A user's later items wait for its create as they do in
   * process(), so nothing overtakes it.
   *
   * @param list<QueueItem> $items
   *   Items of op QueueItem::OP_PROVISION.
   * @param float|null $budgetSeconds
   *   As for process().
   *
   * @return list<Outcome>
   *   One per item, in the order of $items.
   */
  public function processCreates(array $items, ?float $budgetSeconds = NULL): array {
    $budgetMs = $budgetSeconds !== NULL ? max(1, (int) floor($budgetSeconds * 1000)) : $this->settings()->queueBudgetMs();
    $users = $this->users->loadMultiple(array_values(array_unique(array_map(static fn (QueueItem $item): int => $item->uid, $items))), $this->clients->mappedFieldNames());
    $outcomes = [];
    // Position => [user, link], for the creates that go to Graph.
    $ready = [];
    $locked = [];
    try {
      foreach ($items as $i => $item) {
        $waiting = $this->waitingOutcome($item);
        if ($waiting === NULL && isset($locked[$item->uid])) {
          // The same user twice in one group: the later item waits.
          $waiting = new Outcome(Outcome::RETRY, sprintf('Item %d of user %d waits for the earlier item of the same run.', $item->seq, $item->uid), NULL, NULL, self::ORDER_DELAY);
        }
        if ($waiting !== NULL) {
          $outcomes[$i] = $waiting;
          continue;
        }
        $existing = $this->links->load($item->uid);
        $user = $users[$item->uid] ?? NULL;
        $settled = $this->beforeCreate($item->uid, $user, $item, $existing);
        if ($settled !== NULL || $user === NULL) {
          $outcomes[$i] = $this->finished($item, $settled ?? new Outcome(Outcome::FAILED, 'No account.'));
          continue;
        }
        if (!$this->lock->acquire(self::LOCK_PREFIX . $item->uid, self::lockSeconds($budgetMs))) {
          $outcomes[$i] = new Outcome(Outcome::RETRY, sprintf('Another process is provisioning user %d.', $item->uid), NULL, NULL, self::LOCKED_DELAY);
          continue;
        }
        $locked[$item->uid] = TRUE;
        $ready[$i] = [$user, $existing];
      }
      if ($ready !== []) {
        $this->createTogether($items, $ready, $budgetMs, $outcomes);
      }
    }
    finally {
      foreach (array_keys($locked) as $uid) {
        $this->lock->release(self::LOCK_PREFIX . $uid);
      }
    }
    ksort($outcomes);

    return array_values($outcomes);
  }

  /**
   * One bulk call for the $ready creates; their outcomes go into $outcomes.
   *
   * @param list<QueueItem> $items
   * @param array<int, array{0: array<string, mixed>, 1: ?LinkRecord}> $ready
   * @param array<int, Outcome> $outcomes
   */
  private function createTogether(array $items, array $ready, int $budgetMs, array &$outcomes): void {
    try {
      $client = $this->clients->client($budgetMs);
      $requests = [];
      foreach ($ready as $i => [$user, $existing]) {
        try {
          $requests[] = $this->createRequest($client, $user, $existing);
        }
        catch (EntraException $e) {
          // This user's mapping fails (its name leaves no valid UPN, say):
          // its own failure, not the others'.
          $outcomes[$i] = $this->finished($items[$i], $this->failure($e, $items[$i]->uid, (string) ($user['name'] ?? ''), QueueItem::OP_PROVISION, $items[$i], $existing));
          unset($ready[$i]);
        }
      }
      if ($ready === []) {
        return;
      }
      $response = $this->workers->sendInCalls($requests, (int) ceil($budgetMs / 1000) + 60, $this->clients->facts()->usersPerSharedCall(), static fn (array $part, int $workers): array => $client->bulkProvision($part, $workers));
    }
    catch (\Throwable $e) {
      foreach ($ready as $i => [$user, $existing]) {
        $outcomes[$i] = $this->finished($items[$i], $this->failure($e, $items[$i]->uid, (string) ($user['name'] ?? ''), QueueItem::OP_PROVISION, $items[$i], $existing));
      }

      return;
    }
    $results = is_array($response['results'] ?? NULL) ? array_values($response['results']) : [];
    $k = 0;
    foreach ($ready as $i => [$user, $existing]) {
      $result = $results[$k++] ?? NULL;
      if (!is_array($result)) {
        $outcome = $this->failure(new \LogicException('The library returned no result for this user.'), $items[$i]->uid, (string) ($user['name'] ?? ''), QueueItem::OP_PROVISION, $items[$i], $existing);
      }
      elseif (!empty($result['ok'])) {
        $outcome = $this->created($items[$i]->uid, (string) ($user['name'] ?? ''), $this->clients->redact($result));
      }
      else {
        $error = EntraException::fromErrorArray(is_array($result['error'] ?? NULL) ? $result['error'] : [], 'entra_bulk_provision');
        $outcome = $this->createFailed($error, $user, $items[$i], $existing, $budgetMs);
      }
      $outcomes[$i] = $this->finished($items[$i], $outcome);
    }
  }

  /**
   * The outcome of a create that needs no call: the account is gone, or a
   * queued create meets an account that is linked already (the manual Sync
   * always asks the library, which links rather than creating a duplicate).
   *
   * @param array<string, mixed>|null $user
   */
  private function beforeCreate(int $uid, ?array $user, ?QueueItem $item, ?LinkRecord $existing): ?Outcome {
    $now = $this->clock->getCurrentTime();
    $action = QueueItem::OP_PROVISION;
    if ($user === NULL) {
      $error = $this->missingUserError($uid);
      // Record it only against an existing row: a deleted account gets
      // no new row that nobody could ever fix.
      if ($existing !== NULL) {
        $this->links->save(LinkRecord::failedAttempt($existing, $uid, $action, LinkRecord::RESULT_FAILED, 'drupal_user_missing', $error['message'], NULL, $now));
      }
      $this->logger->warning('Entra ID provisioning of uid @uid skipped: @error', $this->context($uid, '', $action, NULL, NULL) + ['@error' => $error['message']]);

      return new Outcome(Outcome::FAILED, $error['message'], NULL, $error);
    }
    if ($item !== NULL && $existing !== NULL && $existing->isLinked()) {
      $name = (string) ($user['name'] ?? '');
      $this->links->save(LinkRecord::succeeded($existing, $uid, 'linked', $existing->entraId, $existing->upn, $existing->requestId, $now));
      $this->logger->info('Entra ID provisioning of %name (uid @uid): already linked to %upn (object @entra_id), nothing to do.', $this->context($uid, $name, 'linked', $existing->upn, $existing->requestId) + ['@entra_id' => (string) $existing->entraId]);

      return new Outcome(Outcome::DONE, 'Already linked.', ['action' => 'linked', 'id' => $existing->entraId, 'userPrincipalName' => $existing->upn, 'request_id' => $existing->requestId]);
    }

    return NULL;
  }

  /**
   * What the library gets for a create. The UPN is recorded before the
   * create goes out: if its answer is lost, or this process dies before the
   * link is stored, the retry finds the account this attempt made instead of
   * meeting it as a stranger's (the library tells the UPN without any
   * network).
   *
   * @param array<string, mixed> $user
   *
   * @return array<string, mixed>
   */
  private function createRequest(NativeClientInterface $client, array $user, ?LinkRecord $existing): array {
    $uid = (int) $user['uid'];
    $previous = $existing?->previousAttempt();
    $planned = $client->mapUser($user)['userPrincipalName'] ?? NULL;
    if (is_string($planned) && $planned !== '') {
      $this->links->save(LinkRecord::attempting($this->links->load($uid), $uid, $planned, $this->clock->getCurrentTime()));
    }

    return $previous !== NULL ? $user + ['previous_attempt' => $previous] : $user;
  }

  /**
   * A create that failed: an existing account that holds the UPN or mail is
   * settled by the matching rules (link, pending match, refused); anything
   * else is a failure().
   *
   * @param array<string, mixed> $user
   */
  private function createFailed(\Throwable $e, array $user, ?QueueItem $item, ?LinkRecord $existing, int $budgetMs): Outcome {
    $uid = (int) $user['uid'];
    $name = (string) ($user['name'] ?? '');
    $taken = $e instanceof EntraException ? $e->existing() : NULL;
    if ($taken === NULL) {
      return $this->failure($e, $uid, $name, QueueItem::OP_PROVISION, $item, $existing);
    }
    // Graph answered the create for good: no account of it is lost.
    $this->forgetAttempt($uid);
    try {
      $outcome = $this->matcher->onEntraConflict($user, $this->clients->redact($taken), $budgetMs);
    }
    catch (\Throwable $linkError) {
      return $this->failure($linkError, $uid, $name, QueueItem::OP_PROVISION, $item, $existing);
    }
    unset($this->deferredUntil[$uid]);

    return $outcome;
  }

  /**
   * Records and logs a create the library reports done (created or linked).
   *
   * @param array<string, mixed> $result
   *   Redacted.
   */
  private function created(int $uid, string $name, array $result): Outcome {
    $action = QueueItem::OP_PROVISION;
    $done = (string) ($result['action'] ?? 'created');
    $entraId = isset($result['id']) && is_string($result['id']) ? $result['id'] : NULL;
    $upn = isset($result['userPrincipalName']) && is_string($result['userPrincipalName']) ? $result['userPrincipalName'] : NULL;
    $requestId = isset($result['request_id']) && is_string($result['request_id']) ? $result['request_id'] : NULL;
    $owner = $entraId !== NULL ? $this->links->loadByEntraId($entraId) : NULL;
    if ($owner !== NULL && $owner->uid !== $uid) {
      $message = sprintf('The Entra ID account %s that an earlier attempt of uid %d made is linked to uid %d; nothing was linked.', (string) $upn, $uid, $owner->uid);
      $this->links->save(LinkRecord::failedAttempt($this->links->load($uid), $uid, $action, LinkRecord::RESULT_FAILED, IdentityMatcher::CODE_REFUSED, $message, $requestId, $this->clock->getCurrentTime()));
      $this->logger->error('Entra ID provisioning of %name (uid @uid): @message', $this->context($uid, $name, $action, $upn, $requestId) + ['@message' => $message]);

      return new Outcome(Outcome::FAILED, $message);
    }
    $this->links->save(LinkRecord::succeeded($this->links->load($uid), $uid, $done, $entraId, $upn, $requestId, $this->clock->getCurrentTime(), LinkRecord::PROVENANCE_CREATED));
    unset($this->deferredUntil[$uid]);
    $this->logger->info('Entra ID provisioning: @action %upn (object @entra_id) for %name (uid @uid), request-id @request_id.', $this->context($uid, $name, $done, $upn, $requestId) + ['@entra_id' => (string) $entraId]);

    return new Outcome(Outcome::DONE, $this->formatter->successSummary($name, $result), $result);
  }

  /**
   * What a failure means for the queue: retry later (retryable), suspend
   * the queue (the connection's failure: every user would hit it), or fail
   * this user for good. Retryable and scope are the library's answers
   * (ResultFormatter::describeError()).
   */
  private function failure(\Throwable $e, int $uid, string $name, string $action, ?QueueItem $item, ?LinkRecord $existing): Outcome {
    $now = $this->clock->getCurrentTime();
    $error = $this->clients->redact($this->formatter->describeError($e));
    $summary = $this->formatter->summary($error);
    $kind = (string) $error['kind'];
    $code = $error['code'] !== NULL ? (string) $error['code'] : $kind;
    $requestId = $error['request_id'];
    $context = $this->context($uid, $name, $action, $existing?->upn, $requestId) + [
      '@error' => $summary,
      'entra_error_kind' => $kind,
      'entra_error_code' => $error['code'],
      'entra_http_status' => $error['http_status'],
    ];
    $tooOld = $item !== NULL && $item->enqueuedAt > 0 && ($now - $item->enqueuedAt) > self::MAX_ITEM_AGE;
    // Outside the library (a queue backend, the database) a failure is
    // retried, unless it is a bug.
    $retryable = $e instanceof EntraException ? $e->isRetryable() : !($e instanceof \LogicException);

    if ($retryable && !$tooOld) {
      $after = $error['retry_after'];
      $delay = $after !== NULL ? (int) ceil((float) $after) : self::DEFAULT_RETRY_DELAY;
      $delay = max(1, min(self::MAX_RETRY_DELAY, $delay));
      if ($item === NULL) {
        // Manual run: hand the work to the queue instead of failing.
        try {
          $this->enqueue($action, $uid);
        }
        catch (\Throwable $queueError) {
          $this->logger->error('Could not queue the Entra ID @action of %name (uid @uid): @error', $context + ['@error' => $this->clients->redact($queueError->getMessage())]);
        }
      }
      $this->deferredUntil[$uid] = $now + $delay;
      $this->links->save(LinkRecord::failedAttempt($this->links->load($uid), $uid, $action, LinkRecord::RESULT_PENDING, $code, (string) $error['message'], $requestId, $now));
      $this->logger->warning('Entra ID @action of %name (uid @uid) will be retried in @delay s: @error', $context + ['@delay' => $delay]);

      return new Outcome(Outcome::RETRY, $summary . sprintf(' Queued for a retry in %d s.', $delay), NULL, $error, $delay);
    }

    if ($item !== NULL && !$tooOld && $error['scope'] === 'connection') {
      // Not this user's failure: the item stays queued (so the record
      // says pending, not failed) and the queue is suspended.
      $this->links->save(LinkRecord::failedAttempt($this->links->load($uid), $uid, $action, LinkRecord::RESULT_PENDING, $code, (string) $error['message'], $requestId, $now));
      $delay = $this->suspension->suspend($error, $summary, $uid);
      $this->logger->error('Entra ID provisioning is suspended (@action of %name, uid @uid): @error The queue keeps the work and resumes once this is fixed: a successful "Save and Test Configuration" resumes it at once.', $context);

      return new Outcome(Outcome::BLOCKED, $summary, NULL, $error, $delay);
    }
    $this->links->save(LinkRecord::failedAttempt($this->links->load($uid), $uid, $action, LinkRecord::RESULT_FAILED, $code, (string) $error['message'], $requestId, $now));
    $this->forgetAttempt($uid);
    if ($tooOld) {
      $this->logger->error('Entra ID @action of %name (uid @uid) given up after @days days in the queue: @error', $context + ['@days' => (int) (self::MAX_ITEM_AGE / 86400)]);
    }
    else {
      $this->logger->error('Entra ID @action of %name (uid @uid) failed: @error', $context);
    }

    return new Outcome(Outcome::FAILED, $summary, NULL, $error);
  }

  /**
   * PATCHes the mapped properties of a linked user that differ in Entra ID.
   *
   * Status: the library writes the Drupal status to accountEnabled only with
   * "sync status" on (sync_status).
   */
  private function update(int $uid, ?QueueItem $item, int $budgetMs): Outcome {
    $action = QueueItem::OP_UPDATE;
    $link = $this->links->load($uid);
    if ($link === NULL || !$link->isLinked()) {
      // Nothing in Entra to update: a provision (queued before this
      // item, or a later one) sends the account as it is then.
      $this->logger->info('Entra ID update of uid @uid skipped: the account is not linked to an Entra ID user.', $this->context($uid, '', $action, NULL, NULL));

      return new Outcome(Outcome::DONE, sprintf('User %d is not linked to an Entra ID account: nothing to update.', $uid));
    }
    $entraId = (string) $link->entraId;
    $settings = $this->settings();
    $user = $this->users->load($uid, $this->clients->mappedFieldNames());
    if ($user === NULL) {
      // The account was deleted meanwhile; the delete policy handles it.
      return new Outcome(Outcome::DONE, sprintf('There is no Drupal account with uid %d any more: nothing to update.', $uid));
    }
    $name = (string) ($user['name'] ?? '');
    $lockName = self::LOCK_PREFIX . $uid;
    if (!$this->lock->acquire($lockName, self::lockSeconds($budgetMs))) {
      return new Outcome(Outcome::RETRY, sprintf('Another process is working on user %d.', $uid), NULL, NULL, self::LOCKED_DELAY);
    }
    try {
      $result = $this->clients->client($budgetMs)->updateUser($entraId, $user, $link->linkFacts($settings->deprovisionMatched()), $settings->syncMail(), $settings->syncStatus());
    }
    catch (\Throwable $e) {
      return $this->failure($e, $uid, $name, $action, $item, $link);
    }
    finally {
      $this->lock->release($lockName);
    }
    $result = $this->clients->redact($result);
    $done = (string) ($result['action'] ?? 'updated');
    $upn = isset($result['userPrincipalName']) && is_string($result['userPrincipalName']) ? $result['userPrincipalName'] : $link->upn;
    $requestId = isset($result['request_id']) && is_string($result['request_id']) ? $result['request_id'] : NULL;
    $properties = is_array($result['updated_properties'] ?? NULL) ? array_values(array_filter($result['updated_properties'], 'is_string')) : [];
    $this->links->save(LinkRecord::succeeded($this->links->load($uid), $uid, $done, $entraId, $upn, $requestId, $this->clock->getCurrentTime()));
    unset($this->deferredUntil[$uid]);
    $this->logger->info('Entra ID update: @action %upn (object @entra_id) for %name (uid @uid), properties [@properties], request-id @request_id.', $this->context($uid, $name, $done, $upn, $requestId) + [
      '@entra_id' => $entraId,
      '@properties' => implode(', ', $properties),
    ]);

    return new Outcome(Outcome::DONE, sprintf('%s Entra ID account %s (object id %s) for Drupal user %s%s.', $done === 'unchanged' ? 'Nothing to change in' : 'Updated', (string) $upn, $entraId, $name, $properties !== [] ? ' (' . implode(', ', $properties) . ')' : ''), $result);
  }

  /**
   * Disables, enables or deletes the Entra account of a user (the Drupal account may
   * be gone: the item carries the object id known when it was queued).
   */
  private function removeInEntra(QueueItem $item, int $budgetMs): Outcome {
    $uid = $item->uid;
    $action = $item->op;
    $link = $this->links->load($uid);
    $entraId = $link !== NULL && $link->isLinked() ? (string) $link->entraId : $item->entraId;
    if ($entraId === NULL || $entraId === '') {
      $this->logger->info('Entra ID @action of uid @uid skipped: the account is not linked to an Entra ID user.', $this->context($uid, '', $action, NULL, NULL));

      return new Outcome(Outcome::DONE, sprintf('User %d is not linked to an Entra ID account: nothing to %s.', $uid, $action));
    }
    $settings = $this->settings();
    // A released item passed this check when it was held.
    $allowed = $item->released ? ['allowed' => TRUE] : $this->clients->client()->decide([
      'decide' => 'deprovision',
      'provenance' => $link !== NULL && $link->isLinked() ? $link->provenance : $item->provenance,
      'deprovision_matched' => $settings->deprovisionMatched(),
    ]);
    if (empty($allowed['allowed'])) {
      $this->logger->notice('Entra ID @action of uid @uid (%upn) not sent: this site did not create that Entra ID account and no admin approved the link (it was matched automatically). Switch on "Deprovision automatically matched links" on step 3 to change that.', $this->context($uid, '', $action, $link?->upn, NULL));

      return new Outcome(Outcome::DONE, sprintf('Entra ID account %s of user %d left as it is: the link was matched automatically, not created or approved.', $entraId, $uid));
    }
    $removal = $action === QueueItem::OP_DISABLE || $action === QueueItem::OP_DELETE;
    if ($removal && !$item->released && !$this->removals->mayRemoveInEntra()) {
      $this->removals->holdInEntra($uid, $entraId, $action);

      return new Outcome(Outcome::DONE, sprintf('The %s of Entra ID account %s (user %d) is held: the hourly threshold of removals was reached. An admin releases it.', $action, $entraId, $uid));
    }
    $lockName = self::LOCK_PREFIX . $uid;
    if (!$this->lock->acquire($lockName, self::lockSeconds($budgetMs))) {
      return new Outcome(Outcome::RETRY, sprintf('Another process is working on user %d.', $uid), NULL, NULL, self::LOCKED_DELAY);
    }
    $requestId = NULL;
    try {
      $client = $this->clients->client($budgetMs);
      if ($action === QueueItem::OP_DELETE) {
        $result = $client->deleteUser($entraId);
      }
      elseif ($action === QueueItem::OP_ENABLE) {
        $result = $client->enableUser($entraId);
      }
      else {
        $result = $client->disableUser($entraId);
      }
      // "already_deleted" when the user is gone from Entra: the library's answer.
      $done = (string) ($result['action'] ?? $action);
      $requestId = isset($result['request_id']) && is_string($result['request_id']) ? $result['request_id'] : NULL;
    }
    catch (\Throwable $e) {
      return $this->failure($e, $uid, '', $action, $item, $link);
    }
    finally {
      $this->lock->release($lockName);
    }
    if ($removal && $done !== 'already_deleted') {
      $this->removals->removedInEntra($uid, $entraId, $action);
    }
    $now = $this->clock->getCurrentTime();
    $accountExists = $this->users->load($uid, []) !== NULL;
    if (!$accountExists) {
      // Nothing in Drupal to link any more.
      $this->links->delete($uid);
    }
    elseif ($done === 'disabled' || $done === 'enabled') {
      $this->links->save(LinkRecord::succeeded($link, $uid, $done, $entraId, NULL, $requestId, $now));
    }
    else {
      $this->links->save(LinkRecord::unlinked($link, $uid, $done, $requestId, $now));
    }
    unset($this->deferredUntil[$uid]);
    $this->logger->info('Entra ID @action: object @entra_id of uid @uid (%upn), request-id @request_id.', $this->context($uid, '', $done, $link?->upn, $requestId) + ['@entra_id' => $entraId]);

    return new Outcome(Outcome::DONE, sprintf('Entra ID account %s of user %d: %s.', $entraId, $uid, str_replace('_', ' ', $done)), ['action' => $done, 'id' => $entraId, 'request_id' => $requestId]);
  }

  /**
   * Adds the linked Entra user to, and removes it from, the groups of the
   * item (entra_group_membership, which checks each group first). An add
   * to a group the user is in, or a remove from one it is not in, is a
   * success; a refused group is logged and not retried. A failure of one
   * write retries (or fails) the whole item: the writes already done are
   * idempotent.
   */
  private function memberships(QueueItem $item, int $budgetMs): Outcome {
    $uid = $item->uid;
    $action = QueueItem::OP_MEMBERSHIPS;
    $link = $this->links->load($uid);
    if ($link === NULL || !$link->isLinked()) {
      $this->logger->info('Entra ID group memberships of uid @uid skipped: the account is not linked to an Entra ID user.', $this->context($uid, '', $action, NULL, NULL));

      return new Outcome(Outcome::DONE, sprintf('User %d is not linked to an Entra ID account: no group to change.', $uid));
    }
    $entraId = (string) $link->entraId;
    $lockName = self::LOCK_PREFIX . $uid;
    if (!$this->lock->acquire($lockName, self::lockSeconds($budgetMs))) {
      return new Outcome(Outcome::RETRY, sprintf('Another process is working on user %d.', $uid), NULL, NULL, self::LOCKED_DELAY);
    }
    $done = [];
    $refused = [];
    $requestId = NULL;
    try {
      $client = $this->clients->client($budgetMs);
      foreach (['add' => $item->groups['add'], 'remove' => $item->groups['remove']] as $op => $groupIds) {
        foreach ($groupIds as $groupId) {
          $result = $client->groupMembership($op, $groupId, $entraId);
          $outcome = (string) ($result['action'] ?? '');
          $requestId = is_string($result['request_id'] ?? NULL) ? $result['request_id'] : $requestId;
          $context = $this->context($uid, '', $op === 'add' ? 'group_add' : 'group_remove', $link->upn, $requestId) + ['@group' => $groupId, '@result' => $outcome, '@reason' => (string) ($result['message'] ?? $result['reason'] ?? '')];
          if ($outcome === 'refused') {
            $refused[] = $groupId;
            $this->logger->error('Entra ID group membership not changed: @action uid @uid (%upn) in group @group refused: @reason', $context);
            continue;
          }
          $done[] = sprintf('%s %s', $outcome, $groupId);
          $this->logger->info('Entra ID group membership: @result, uid @uid (%upn) in group @group, request-id @request_id.', $context);
        }
      }
    }
    catch (\Throwable $e) {
      return $this->failure($e, $uid, '', $action, $item, $link);
    }
    finally {
      $this->lock->release($lockName);
    }
    $now = $this->clock->getCurrentTime();
    $this->links->save($refused === []
      ? LinkRecord::succeeded($this->links->load($uid), $uid, $action, $entraId, NULL, $requestId, $now)
      : LinkRecord::failedAttempt($this->links->load($uid), $uid, $action, LinkRecord::RESULT_FAILED, 'group_refused', sprintf('Refused target group(s): %s', implode(', ', $refused)), $requestId, $now));
    unset($this->deferredUntil[$uid]);
    $summary = sprintf('Group memberships of Entra ID account %s (user %d): %s.', $entraId, $uid, $done === [] ? 'nothing changed' : implode(', ', $done));
    if ($refused !== []) {
      $summary .= sprintf(' Refused groups: %s.', implode(', ', $refused));
    }

    return new Outcome($refused === [] ? Outcome::DONE : Outcome::FAILED, $summary, ['done' => $done, 'refused' => $refused]);
  }

  /**
   * An admin releases the disables and deletes held by the hourly
   * threshold: they are queued again, marked released.
   *
   * @return int
   *   How many were queued.
   */
  public function releaseHeldRemovals(): int {
    $queued = 0;
    foreach ($this->removals->takeHeld(ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA) as $removal) {
      try {
        $this->enqueue($removal->action, $removal->uid, $removal->entraId, TRUE);
        $queued++;
      }
      catch (\Throwable $e) {
        $this->removals->holdInEntra($removal->uid, $removal->entraId, $removal->action);
        $this->logger->error('Could not queue the released Entra ID @action of uid @uid: @error', ['@action' => $removal->action, '@uid' => $removal->uid, '@error' => $this->clients->redact($e->getMessage())]);
      }
    }
    if ($queued > 0) {
      $this->logger->notice('Released @count held Entra ID removal(s): queued again.', ['@count' => $queued]);
    }

    return $queued;
  }

  /**
   * Drops the recorded pending create of a user once its outcome is known.
   */
  private function forgetAttempt(int $uid): void {
    $link = $this->links->load($uid);
    if ($link !== NULL && $link->attemptUpn !== NULL) {
      $this->links->save($link->withoutAttempt());
    }
  }

  /**
   * A per-user lock that outlives the longest call made under it.
   */
  private static function lockSeconds(int $budgetMs): float {
    return $budgetMs / 1000 + self::LOCK_MARGIN;
  }

  /**
   * @param mixed $value
   *
   * @return list<string>|null
   */
  private static function stringList($value): ?array {
    return is_array($value) ? array_values(array_filter($value, 'is_string')) : NULL;
  }

  /**
   * @return array<string, mixed>
   */
  private function missingUserError(int $uid): array {
    return [
      'kind' => 'not_found', 'title' => 'Drupal account not found', 'message' => sprintf('There is no Drupal account with uid %d.', $uid),
      'code' => 'drupal_user_missing', 'aadsts' => NULL, 'graph_code' => NULL, 'http_status' => NULL, 'request_id' => NULL,
      'field' => NULL, 'fix' => NULL, 'retryable' => FALSE, 'retry_after' => NULL, 'scope' => 'user',
    ];
  }

  /**
   * Log placeholders and context. "uid" is left alone on purpose: Drupal's
   * logger uses it for the acting user.
   *
   * @return array<string, mixed>
   */
  private function context(int $uid, string $name, string $action, ?string $upn, ?string $requestId): array {
    return [
      '@uid' => $uid,
      '%name' => $name,
      '@action' => $action,
      '%upn' => $upn ?? '-',
      '@request_id' => $requestId ?? '-',
      'entra_uid' => $uid,
      'entra_username' => $name,
      'entra_action' => $action,
      'entra_upn' => $upn,
      'entra_request_id' => $requestId,
    ];
  }

}
