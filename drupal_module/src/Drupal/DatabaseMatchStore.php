<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\Core\Database\Connection;
use Drupal\Core\Database\IntegrityConstraintViolationException;
use Drupal\entra_provisioning\Provisioning\MatchStoreInterface;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\entra_provisioning\Provisioning\PendingMatch;

/**
 * The entra_provisioning_match table (see entra_provisioning_schema()).
 */
final class DatabaseMatchStore implements MatchStoreInterface {

  public const TABLE = 'entra_provisioning_match';

  public function __construct(private Connection $database) {
  }

  public function propose(PendingMatch $match): array {
    $stored = $this->find($match->direction, $match->uid, $match->entraId);
    if ($stored === NULL) {
      try {
        $id = (int) $this->database->insert(self::TABLE)->fields($match->toRow())->execute();

        return [$this->load($id) ?? $match, TRUE];
      }
      catch (IntegrityConstraintViolationException $e) {
        // Another process proposed the same pair meanwhile: refresh it.
        $stored = $this->find($match->direction, $match->uid, $match->entraId);
        if ($stored === NULL) {
          throw $e;
        }
      }
    }
    $row = $match->toRow();
    $update = [
      'candidate' => $row['candidate'],
      'drupal_values' => $row['drupal_values'],
      'reasons' => $row['reasons'],
      'changed' => $row['changed'],
    ];
    if ($stored->status !== PendingMatch::STATUS_REJECTED) {
      $update['status'] = $row['status'];
    }
    $this->database->update(self::TABLE)->fields($update)->condition('id', $stored->id)->execute();

    return [$this->load($stored->id) ?? $stored, FALSE];
  }

  public function load(int $id): ?PendingMatch {
    $row = $this->database->select(self::TABLE, 'm')->fields('m')->condition('m.id', $id)->execute()->fetchAssoc();

    return is_array($row) ? PendingMatch::fromRow($row) : NULL;
  }

  public function find(string $direction, int $uid, string $entraId): ?PendingMatch {
    $row = $this->database->select(self::TABLE, 'm')
      ->fields('m')
      ->condition('m.direction', $direction)
      ->condition('m.uid', $uid)
      ->condition('m.entra_id', $entraId)
      ->execute()
      ->fetchAssoc();

    return is_array($row) ? PendingMatch::fromRow($row) : NULL;
  }

  public function byStatus(string $status, int $limit = 200): array {
    $rows = $this->database->select(self::TABLE, 'm')
      ->fields('m')
      ->condition('m.status', $status)
      ->orderBy('m.id')
      ->range(0, max(1, $limit))
      ->execute()
      // No fetch mode: an integer mode is deprecated from Drupal 11.2
      // (FetchAs); the default mode gives objects on 10.3 - 11.x.
      ->fetchAll();

    return array_map(static fn (object $row): PendingMatch => PendingMatch::fromRow((array) $row), $rows);
  }

  public function countPending(): array {
    $query = $this->database->select(self::TABLE, 'm');
    $query->addField('m', 'direction');
    $query->addExpression('COUNT(*)', 'n');
    $query->condition('m.status', PendingMatch::STATUS_PENDING);
    $query->groupBy('m.direction');
    $counts = [ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA => 0, ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL => 0];
    foreach ($query->execute()->fetchAllKeyed() as $direction => $n) {
      $counts[(string) $direction] = (int) $n;
    }

    return $counts;
  }

  public function setStatus(int $id, string $status, int $now): void {
    $this->database->update(self::TABLE)->fields(['status' => $status, 'changed' => $now])->condition('id', $id)->execute();
  }

  public function delete(int $id): void {
    $this->database->delete(self::TABLE)->condition('id', $id)->execute();
  }

  public function deleteForLink(int $uid, string $entraId): void {
    $or = $this->database->condition('OR')->condition('uid', $uid)->condition('entra_id', $entraId);
    $this->database->delete(self::TABLE)->condition($or)->execute();
  }

}
