<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\Component\Datetime\TimeInterface;
use Psr\Log\LoggerInterface;

/**
 * Accidental-deletion prevention, as Entra's own provisioning service does
 * it: when an import round would block or delete more Drupal accounts than
 * the threshold, every removal of that round is held; when more Entra
 * accounts than the threshold would be disabled or deleted within an hour,
 * the excess is held. Held removals wait for an admin (the Pending matches
 * page, or "drush entra:release-removals").
 *
 * The thresholds are the library's decisions (entra_decide removal_round
 * and removal_budget); this class keeps the records.
 */
final class RemovalGuard {

  /**
   * The window of the Drupal -> Entra threshold.
   */
  public const WINDOW = 3600;

  public function __construct(private ClientFactory $clients, private RemovalStoreInterface $removals, private TimeInterface $clock, private LoggerInterface $logger) {
  }

  /**
   * Drupal -> Entra: whether one more disable or delete may be sent now.
   */
  public function mayRemoveInEntra(): bool {
    $now = $this->clock->getCurrentTime();
    $this->removals->pruneDone($now - self::WINDOW);
    $recent = $this->removals->count(ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA, HeldRemoval::DONE, $now - self::WINDOW);
    $answer = $this->clients->client()->decide([
      'decide' => 'removal_budget',
      'recent' => $recent,
      'threshold' => $this->clients->settings()->removalThreshold(),
    ]);

    return !empty($answer['allowed']);
  }

  /**
   * Drupal -> Entra: a disable or delete was sent (it counts for an hour).
   */
  public function removedInEntra(int $uid, ?string $entraId, string $op): void {
    $this->removals->add(ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA, $uid, $entraId, $op, HeldRemoval::DONE, $this->clock->getCurrentTime());
  }

  /**
   * Drupal -> Entra: parks one disable or delete above the threshold.
   */
  public function holdInEntra(int $uid, ?string $entraId, string $op): void {
    $this->removals->add(ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA, $uid, $entraId, $op, HeldRemoval::HELD, $this->clock->getCurrentTime());
    $this->logger->warning('Entra ID @op of uid @uid (object @entra_id) is held: more than @threshold Entra accounts were disabled or deleted within the last hour. An admin releases held removals on the Pending matches page or with "drush entra:release-removals".', [
      '@op' => $op,
      '@uid' => $uid,
      '@entra_id' => $entraId ?? '-',
      '@threshold' => $this->clients->settings()->removalThreshold(),
      'entra_uid' => $uid,
      'entra_action' => $op,
    ]);
  }

  /**
   * Entra -> Drupal: the round reports that the Entra user of linked uid
   * was removed ("changed": soft-deleted; "deleted": gone for good).
   */
  public function collect(int $uid, string $entraId, string $reason): void {
    $this->removals->add(ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL, $uid, $entraId, $reason, HeldRemoval::COLLECTED, $this->clock->getCurrentTime());
  }

  /**
   * Entra -> Drupal: the Entra user came back (restored, or listed by a
   * full round): its collected or held removal is dropped.
   */
  public function forget(string $entraId): void {
    $this->removals->forgetEntraId(ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL, $entraId);
  }

  /**
   * Entra -> Drupal: the round is complete. Returns the removals to apply
   * now (and forgets them), or holds them all when there are more than the
   * threshold.
   *
   * @return array{apply: list<HeldRemoval>, held: int}
   */
  public function closeRound(): array {
    $collected = $this->removals->byStatus(ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL, HeldRemoval::COLLECTED, PHP_INT_MAX);
    if ($collected === []) {
      return ['apply' => [], 'held' => 0];
    }
    $threshold = $this->clients->settings()->removalThreshold();
    $answer = $this->clients->client()->decide(['decide' => 'removal_round', 'removals' => count($collected), 'threshold' => $threshold]);
    if (!empty($answer['hold'])) {
      $held = $this->removals->moveAll(ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL, HeldRemoval::COLLECTED, HeldRemoval::HELD, $this->clock->getCurrentTime());
      $this->logger->warning('Entra ID import: this round would block or delete @count Drupal accounts, more than the threshold of @threshold, so none of them was touched. Check Entra ID (a mistaken scope or a mass deletion?), then release them on the Pending matches page or with "drush entra:release-removals".', [
        '@count' => count($collected),
        '@threshold' => $threshold,
      ]);

      return ['apply' => [], 'held' => $held];
    }
    foreach ($collected as $removal) {
      $this->removals->delete($removal->id);
    }

    return ['apply' => $collected, 'held' => 0];
  }

  /**
   * Held removals per direction.
   *
   * @return array<string, int>
   */
  public function countHeld(): array {
    $counts = [];
    foreach ([ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA, ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL] as $direction) {
      $counts[$direction] = $this->removals->count($direction, HeldRemoval::HELD);
    }

    return $counts;
  }

  /**
   * @return list<HeldRemoval>
   */
  public function held(string $direction, int $limit = 200): array {
    return $this->removals->byStatus($direction, HeldRemoval::HELD, $limit);
  }

  /**
   * Takes the held removals of a direction out of the store, for an admin's
   * release.
   *
   * @return list<HeldRemoval>
   */
  public function takeHeld(string $direction): array {
    $held = $this->removals->byStatus($direction, HeldRemoval::HELD, PHP_INT_MAX);
    foreach ($held as $removal) {
      $this->removals->delete($removal->id);
    }

    return $held;
  }

}
