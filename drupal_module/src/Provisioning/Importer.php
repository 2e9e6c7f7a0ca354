<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\Component\Datetime\TimeInterface;
use Drupal\entra_provisioning\Native\FfiLoader;
use Psr\Log\LoggerInterface;

/**
 * Entra ID -> Drupal: follows the users delta query and applies each change
 * to the Drupal accounts.
 *
 * Links: next_link is stored in State after each call (a run that stops
 * midway continues from there), delta_link when the round is complete (the
 * next run asks only for what changed since); an expired link
 * (resync_required) clears both and starts a full round.
 *
 * Each change is applied by ImportChangeApplier (matching, what a link may
 * write, collecting removals). When a round completes, its removals are
 * applied, or all held when there are more than the accidental-deletion
 * threshold (RemovalGuard). Every account write runs inside
 * EchoGuard::suppress(), so the user hooks queue nothing.
 *
 * A delta page carries only what Graph sent: only those keys are written.
 */
final class Importer {

  public const STATE_NEXT_LINK = 'entra_provisioning.import.next_link';
  public const STATE_DELTA_LINK = 'entra_provisioning.import.delta_link';
  public const STATE_LAST_RUN = 'entra_provisioning.import.last_run';
  public const STATE_LAST_DELTA_SYNC = 'entra_provisioning.import.last_delta_sync';

  /**
   * The groups delta's links (kept like the users links) and the group ids
   * they were made for: a link encodes its filter, so other groups start
   * over.
   */
  public const STATE_GROUPS_NEXT_LINK = 'entra_provisioning.import.groups_next_link';
  public const STATE_GROUPS_DELTA_LINK = 'entra_provisioning.import.groups_delta_link';
  public const STATE_GROUPS_IDS = 'entra_provisioning.import.groups_ids';

  public const LOCK_NAME = 'entra_provisioning:import';

  /**
   * Lock lifetime of a run without a time budget (Drush).
   */
  public const LOCK_SECONDS = 3600;

  /**
   * Time budget of the import on cron.
   */
  public const CRON_BUDGET = 30.0;

  public function __construct(
    private ClientFactory $clients,
    private StateStoreInterface $state,
    private EchoGuard $guard,
    private UserLockInterface $lock,
    private TimeInterface $clock,
    private ResultFormatter $formatter,
    private LoggerInterface $logger,
    private ImportChangeApplier $applier,
    private RemovalGuard $removals
  ) {
  }

  /**
   * Whether cron should import now: the direction is on, an interval is
   * set and it has passed since the last run (successful or not).
   */
  public function isDue(): bool {
    $settings = $this->clients->settings();
    $interval = $settings->importInterval();
    if (!$settings->entraToDrupal() || $interval <= 0) {
      return FALSE;
    }
    $last = $this->lastRun();

    return $last === NULL || $this->clock->getCurrentTime() - (int) ($last['time'] ?? 0) >= $interval;
  }

  /**
   * hook_cron: imports when due, within a time budget; the next cron run
   * continues a round that did not finish.
   */
  public function cron(float $budgetSeconds = self::CRON_BUDGET): ?ImportReport {
    if (!$this->isDue()) {
      return NULL;
    }
    // Without FFI in this PHP (web cron), leave it to cron on the CLI.
    if (!FfiLoader::isUsable($this->clients->environment())) {
      return NULL;
    }

    return $this->run(FALSE, FALSE, $budgetSeconds);
  }

  /**
   * One import run.
   *
   * @param bool $full
   *   Forget the stored links and read every user again.
   * @param bool $dryRun
   *   Read from Graph, decide, but write nothing (no account, link or State).
   * @param float|null $budgetSeconds
   *   Stop after this long (between library calls); null = until done.
   * @param callable(ImportReport): void|null $onCall
   *   Called after each library call (progress output).
   */
  public function run(bool $full = FALSE, bool $dryRun = FALSE, ?float $budgetSeconds = NULL, ?callable $onCall = NULL): ImportReport {
    $report = new ImportReport($full, $dryRun);
    $settings = $this->clients->settings();
    if (!$settings->entraToDrupal()) {
      $report->error = self::error('config', 'Import is off', 'Entra ID to Drupal is not enabled.', 'Tick "Entra ID → Drupal" on step 2 (Direction) and save.');

      return $report;
    }
    $lockSeconds = $budgetSeconds !== NULL ? $budgetSeconds + 60.0 : (float) self::LOCK_SECONDS;
    if (!$this->lock->acquire(self::LOCK_NAME, $lockSeconds)) {
      $report->error = self::error('locked', 'Import already running', 'Another import is running.', 'Wait for it to finish.');

      return $report;
    }
    try {
      $this->loop($report, $settings, $full, $dryRun, $budgetSeconds, $onCall);
    }
    finally {
      $this->lock->release(self::LOCK_NAME);
    }
    $report->error = $report->error !== NULL ? $this->clients->redact($report->error) : NULL;
    if (!$dryRun) {
      $this->state->set(self::STATE_LAST_RUN, $report->toState($this->clock->getCurrentTime()));
    }
    $context = ['@summary' => $report->summary()];
    if ($report->error !== NULL) {
      $this->logger->error('Entra ID import stopped: @error @summary', $context + ['@error' => $this->formatter->summary($report->error)]);
    }
    elseif ($report->counts[ImportReport::FAILED] > 0 || $report->counts[ImportReport::CONFLICT] > 0 || $report->heldRemovals > 0) {
      $this->logger->warning('Entra ID import: @summary', $context);
    }
    else {
      $this->logger->info('Entra ID import: @summary', $context);
    }

    return $report;
  }

  /**
   * The last run as kept in State (see ImportReport::toState()), or null.
   *
   * @return array<string, mixed>|null
   */
  public function lastRun(): ?array {
    $value = $this->state->get(self::STATE_LAST_RUN);

    return is_array($value) ? $value : NULL;
  }

  /**
   * Unix time of the last complete round (delta link received), or null.
   */
  public function lastDeltaSync(): ?int {
    $value = $this->state->get(self::STATE_LAST_DELTA_SYNC);

    return is_int($value) ? $value : NULL;
  }

  private function loop(ImportReport $report, ModuleSettings $settings, bool $full, bool $dryRun, ?float $budgetSeconds, ?callable $onCall): void {
    if ($full && !$dryRun) {
      $this->forgetLinks();
    }
    $link = $full ? NULL : $this->storedLink();
    $groupIds = $settings->importGroupIds();
    $groupsLink = $full ? NULL : $this->storedGroupsLink($groupIds);
    $groupsResyncs = 0;
    $deadline = $budgetSeconds !== NULL ? $this->clock->getCurrentMicroTime() + $budgetSeconds : NULL;
    while (TRUE) {
      if ($deadline !== NULL && $report->calls > 0 && $this->clock->getCurrentMicroTime() >= $deadline) {
        return;
      }
      $request = [
        'link' => $link,
        'max_pages' => $settings->importPagesPerCall(),
        'include_guests' => $settings->importIncludeGuests(),
      ];
      if ($groupIds !== []) {
        $request['groups'] = ['ids' => $groupIds, 'link' => $groupsLink, 'max_pages' => $settings->importPagesPerCall()];
      }
      $budgetMs = $settings->bulkBudgetMs();
      if ($deadline !== NULL) {
        $budgetMs = max(1000, min($budgetMs, (int) (($deadline - $this->clock->getCurrentMicroTime()) * 1000)));
      }
      // The run's lock outlives this call (a Drush run may take longer
      // than any first lock time).
      $this->lock->acquire(self::LOCK_NAME, $budgetMs / 1000 + 60.0);
      try {
        $page = $this->clients->client($budgetMs)->importDelta($request);
      }
      catch (\Throwable $e) {
        $report->error = $this->formatter->describeError($e);

        return;
      }
      $report->calls++;
      if (!empty($page['resync_required'])) {
        if ($link === NULL || $report->resyncs > 0) {
          $report->error = self::error('graph', 'Resync loop', 'Microsoft Graph asked for a full resync of a round that had just started.', 'Run "drush entra:import --full" later; report this if it persists.');

          return;
        }
        $report->resyncs++;
        $this->logger->warning('The stored Entra ID delta link expired (older than 7 days, or reset by Microsoft): reading every user again.');
        if (!$dryRun) {
          $this->forgetLinks();
        }
        $link = NULL;
        continue;
      }
      $report->skippedGuests += (int) ($page['skipped_guests'] ?? 0);
      $changes = is_array($page['changes'] ?? NULL) ? $page['changes'] : [];
      $groups = $groupIds !== [] && is_array($page['groups'] ?? NULL) ? $page['groups'] : NULL;
      $this->guard->suppress(function () use ($changes, $groups, $report, $settings, $dryRun): void {
        foreach ($changes as $change) {
          $this->applier->apply(is_array($change) ? $change : [], $report, $settings, $dryRun);
        }
        if ($groups !== NULL) {
          $this->applier->applyGroupChanges($groups, $report, $settings, $dryRun);
        }
      });
      $groupsRestart = FALSE;
      if ($groups !== NULL) {
        $groupsLink = $this->followGroups($groups, $groupIds, $report, $dryRun);
        if (!empty($groups['resync_required'])) {
          // The link expired, or a group was newly nested: the next call
          // reads the whole membership state again (once per run).
          $groupsRestart = $groupsResyncs === 0;
          $groupsResyncs++;
        }
      }
      if ($onCall !== NULL) {
        $onCall($report);
      }
      $next = isset($page['next_link']) && is_string($page['next_link']) && $page['next_link'] !== '' ? $page['next_link'] : NULL;
      $delta = isset($page['delta_link']) && is_string($page['delta_link']) && $page['delta_link'] !== '' ? $page['delta_link'] : NULL;
      if ($next !== NULL) {
        // Changes of this page are applied before the link that
        // follows them is stored: a crash repeats them (idempotent).
        $link = $next;
        if (!$dryRun) {
          $this->state->set(self::STATE_NEXT_LINK, $next);
        }
        continue;
      }
      if ($delta !== NULL) {
        $report->completed = TRUE;
        if (!$dryRun) {
          $this->state->set(self::STATE_DELTA_LINK, $delta);
          $this->state->delete(self::STATE_NEXT_LINK);
          $this->state->set(self::STATE_LAST_DELTA_SYNC, $this->clock->getCurrentTime());
        }
        $this->closeRound($report, $settings, $dryRun);
        if ($groupsRestart) {
          $link = $delta;
          continue;
        }
      }

      return;
    }
  }

  private function storedLink(): ?string {
    foreach ([self::STATE_NEXT_LINK, self::STATE_DELTA_LINK] as $key) {
      $value = $this->state->get($key);
      if (is_string($value) && $value !== '') {
        return $value;
      }
    }

    return NULL;
  }

  private function forgetLinks(): void {
    $this->state->delete(self::STATE_NEXT_LINK);
    $this->state->delete(self::STATE_DELTA_LINK);
    $this->forgetGroupsLinks();
  }

  private function forgetGroupsLinks(): void {
    $this->state->delete(self::STATE_GROUPS_NEXT_LINK);
    $this->state->delete(self::STATE_GROUPS_DELTA_LINK);
  }

  /**
   * The stored groups link, when it was made for these groups.
   *
   * @param list<string> $groupIds
   */
  private function storedGroupsLink(array $groupIds): ?string {
    if ($groupIds === [] || $this->state->get(self::STATE_GROUPS_IDS) !== self::groupKey($groupIds)) {
      return NULL;
    }
    foreach ([self::STATE_GROUPS_NEXT_LINK, self::STATE_GROUPS_DELTA_LINK] as $key) {
      $value = $this->state->get($key);
      if (is_string($value) && $value !== '') {
        return $value;
      }
    }

    return NULL;
  }

  /**
   * Stores the groups delta's next or delta link; returns the link of the
   * next call (null: start over).
   *
   * @param array<string, mixed> $groups
   * @param list<string> $groupIds
   */
  private function followGroups(array $groups, array $groupIds, ImportReport $report, bool $dryRun): ?string {
    if (!empty($groups['resync_required'])) {
      $this->logger->warning(!empty($groups['nesting_changed'])
        ? 'A group was newly nested into a mapped Entra ID group: reading every membership of the mapped groups again.'
        : 'The stored Entra ID groups delta link expired: reading every membership of the mapped groups again.');
      if (!$dryRun) {
        $this->forgetGroupsLinks();
      }

      return NULL;
    }
    $next = is_string($groups['next_link'] ?? NULL) && $groups['next_link'] !== '' ? $groups['next_link'] : NULL;
    $delta = is_string($groups['delta_link'] ?? NULL) && $groups['delta_link'] !== '' ? $groups['delta_link'] : NULL;
    if (!$dryRun) {
      $this->state->set(self::STATE_GROUPS_IDS, self::groupKey($groupIds));
      if ($next !== NULL) {
        $this->state->set(self::STATE_GROUPS_NEXT_LINK, $next);
      }
      elseif ($delta !== NULL) {
        $this->state->set(self::STATE_GROUPS_DELTA_LINK, $delta);
        $this->state->delete(self::STATE_GROUPS_NEXT_LINK);
      }
    }

    return $next ?? $delta;
  }

  /**
   * The group ids a groups link was made for, in a stable form.
   *
   * @param list<string> $groupIds
   */
  private static function groupKey(array $groupIds): string {
    $ids = array_map('strtolower', $groupIds);
    sort($ids);

    return implode(',', $ids);
  }

  /**
   * The round is complete: its removals are applied now, or all held when
   * there are more than the threshold.
   */
  private function closeRound(ImportReport $report, ModuleSettings $settings, bool $dryRun): void {
    if ($dryRun) {
      $answer = $this->clients->client()->decide(['decide' => 'removal_round', 'removals' => count($report->removals), 'threshold' => $settings->removalThreshold()]);
      foreach ($report->removals as $removal) {
        $report->add(!empty($answer['hold']) ? ImportReport::HELD : ImportReport::BLOCKED, $removal['id'], $removal['upn'], $removal['uid'], !empty($answer['hold'])
          ? 'Would be held: this round removes more accounts than the threshold.'
          : sprintf('Removed in Entra ID (%s): would apply the removal policy.', $removal['reason']));
      }

      return;
    }
    $round = $this->removals->closeRound();
    $report->heldRemovals = $round['held'];
    $this->guard->suppress(function () use ($round, $report, $settings): void {
      foreach ($round['apply'] as $removal) {
        $result = $this->applier->applyRemoval($removal->uid, (string) $removal->entraId, $removal->action, $settings);
        $report->add($result, (string) $removal->entraId, '', $removal->uid, sprintf('Removed in Entra ID (%s).', $removal->action));
      }
    });
    if ($round['held'] > 0) {
      $report->counts[ImportReport::HELD] += $round['held'];
    }
  }

  /**
   * An admin releases the removals held by the threshold: each gets the
   * removal policy now.
   *
   * @return array<string, int>
   *   Result => count.
   */
  public function releaseHeldRemovals(): array {
    $settings = $this->clients->settings();
    $counts = [];
    $held = $this->removals->takeHeld(ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL);
    $this->guard->suppress(function () use ($held, $settings, &$counts): void {
      foreach ($held as $removal) {
        try {
          $result = $this->applier->applyRemoval($removal->uid, (string) $removal->entraId, $removal->action, $settings);
        }
        catch (\Throwable $e) {
          $result = ImportReport::FAILED;
          $this->logger->error('Releasing the held removal of uid @uid failed: @error', ['@uid' => $removal->uid, '@error' => $this->clients->redact($e->getMessage())]);
        }
        $counts[$result] = ($counts[$result] ?? 0) + 1;
      }
    });
    if ($held !== []) {
      $this->logger->notice('Released @count held removal(s) of the Entra ID import: @counts.', ['@count' => count($held), '@counts' => json_encode($counts)]);
    }

    return $counts;
  }

  /**
   * An error in the ResultFormatter::describeError() shape.
   *
   * @return array<string, mixed>
   */
  private static function error(string $kind, string $title, string $message, string $fix): array {
    return [
      'kind' => $kind, 'title' => $title, 'message' => $message, 'code' => NULL, 'aadsts' => NULL, 'graph_code' => NULL,
      'http_status' => NULL, 'request_id' => NULL, 'field' => NULL, 'fix' => $fix, 'retryable' => FALSE, 'retry_after' => NULL, 'scope' => 'connection',
    ];
  }

}
