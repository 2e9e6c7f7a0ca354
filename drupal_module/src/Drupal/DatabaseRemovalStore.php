<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\Core\Database\Connection;
use Drupal\entra_provisioning\Provisioning\HeldRemoval;
use Drupal\entra_provisioning\Provisioning\RemovalStoreInterface;

/**
 * The entra_provisioning_removal table (see entra_provisioning_schema()).
 */
final class DatabaseRemovalStore implements RemovalStoreInterface {

  public const TABLE = 'entra_provisioning_removal';

  public function __construct(private Connection $database) {
  }

  public function add(string $direction, int $uid, ?string $entraId, string $action, string $status, int $now): void {
    if ($status !== HeldRemoval::DONE) {
      $this->database->delete(self::TABLE)
        ->condition('direction', $direction)
        ->condition('uid', $uid)
        ->condition('status', [HeldRemoval::COLLECTED, HeldRemoval::HELD], 'IN')
        ->execute();
    }
    $this->database->insert(self::TABLE)->fields([
      'direction' => $direction,
      'uid' => $uid,
      'entra_id' => $entraId,
      'action' => $action,
      'status' => $status,
      'created' => $now,
      'changed' => $now,
    ])->execute();
  }

  public function byStatus(string $direction, string $status, int $limit = 1000): array {
    $rows = $this->database->select(self::TABLE, 'r')
      ->fields('r')
      ->condition('r.direction', $direction)
      ->condition('r.status', $status)
      ->orderBy('r.id')
      ->range(0, max(1, $limit))
      ->execute()
      // No fetch mode: an integer mode is deprecated from Drupal 11.2
      // (FetchAs); the default mode gives objects on 10.3 - 11.x.
      ->fetchAll();

    return array_map(static fn (object $row): HeldRemoval => HeldRemoval::fromRow((array) $row), $rows);
  }

  public function count(string $direction, string $status, ?int $since = NULL): int {
    $query = $this->database->select(self::TABLE, 'r')
      ->condition('r.direction', $direction)
      ->condition('r.status', $status);
    if ($since !== NULL) {
      $query->condition('r.changed', $since, '>=');
    }

    return (int) $query->countQuery()->execute()->fetchField();
  }

  public function moveAll(string $direction, string $from, string $to, int $now): int {
    return (int) $this->database->update(self::TABLE)
      ->fields(['status' => $to, 'changed' => $now])
      ->condition('direction', $direction)
      ->condition('status', $from)
      ->execute();
  }

  public function delete(int $id): void {
    $this->database->delete(self::TABLE)->condition('id', $id)->execute();
  }

  public function forgetEntraId(string $direction, string $entraId): void {
    $this->database->delete(self::TABLE)
      ->condition('direction', $direction)
      ->condition('entra_id', $entraId)
      ->condition('status', [HeldRemoval::COLLECTED, HeldRemoval::HELD], 'IN')
      ->execute();
  }

  public function pruneDone(int $before): void {
    $this->database->delete(self::TABLE)
      ->condition('status', HeldRemoval::DONE)
      ->condition('changed', $before, '<')
      ->execute();
  }

}
