<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\Core\Database\Connection;
use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\LinkedAccountsInterface;
use Drupal\entra_provisioning\Provisioning\LinkStoreInterface;

/**
 * The entra_provisioning_link table (see entra_provisioning_schema()).
 */
final class DatabaseLinkStore implements LinkStoreInterface, LinkedAccountsInterface {

  public const TABLE = 'entra_provisioning_link';

  /**
   * Columns written only by reserveSequence() and markDone().
   */
  private const SEQUENCE_COLUMNS = ['queued_seq', 'done_seq'];

  public function __construct(
    private Connection $database
  ) {
  }

  public function load(int $uid): ?LinkRecord {
    $row = $this->database->select(self::TABLE, 'l')
      ->fields('l')
      ->condition('l.uid', $uid)
      ->execute()
      ->fetchAssoc();

    return is_array($row) ? LinkRecord::fromArray($row) : NULL;
  }

  public function loadByEntraId(string $entraId): ?LinkRecord {
    $row = $this->database->select(self::TABLE, 'l')
      ->fields('l')
      ->condition('l.entra_id', $entraId)
      ->range(0, 1)
      ->execute()
      ->fetchAssoc();

    return is_array($row) ? LinkRecord::fromArray($row) : NULL;
  }

  public function linkedEntraIds(): array {
    $query = $this->database->select(self::TABLE, 'l');
    $query->fields('l', ['uid', 'entra_id']);
    $query->isNotNull('l.entra_id');
    $query->condition('l.entra_id', '', '<>');
    $ids = [];
    foreach ($query->execute()->fetchAllKeyed() as $uid => $entraId) {
      $ids[(int) $uid] = (string) $entraId;
    }

    return $ids;
  }

  /**
   * Column => maximum length (entra_provisioning_schema()) of the free-form
   * strings that come from Graph: MySQL in strict mode (Drupal's default)
   * refuses a longer value, which would lose the whole record.
   */
  private const MAX_LENGTHS = ['upn' => 255, 'attempt_upn' => 255, 'last_error_code' => 128, 'request_id' => 64];

  public function save(LinkRecord $record): void {
    $insert = $record->toArray();
    foreach (self::MAX_LENGTHS as $column => $length) {
      if (is_string($insert[$column] ?? NULL)) {
        $insert[$column] = mb_substr($insert[$column], 0, $length);
      }
    }
    $update = array_diff_key($insert, array_flip(array_merge(['uid'], self::SEQUENCE_COLUMNS)));
    // Merge = insert or update on the primary key: linking is idempotent.
    // insertFields() replaces the insert list, so it carries the uid too.
    $this->database->merge(self::TABLE)
      ->key('uid', $record->uid)
      ->insertFields($insert)
      ->updateFields($update)
      ->execute();
  }

  public function delete(int $uid): void {
    $this->database->delete(self::TABLE)->condition('uid', $uid)->execute();
  }

  public function countByResult(): array {
    $query = $this->database->select(self::TABLE, 'l');
    $query->addField('l', 'last_result');
    $query->addExpression('COUNT(*)', 'n');
    $query->groupBy('l.last_result');
    $counts = array_fill_keys(LinkRecord::RESULTS, 0);
    foreach ($query->execute()->fetchAllKeyed() as $result => $n) {
      if (isset($counts[$result])) {
        $counts[$result] = (int) $n;
      }
    }

    return $counts;
  }

  public function reserveSequence(int $uid, int $now, callable $enqueue): int {
    // Inside the user save's transaction when called from a hook: this is
    // then a savepoint, and the row lock taken by the UPDATE serializes
    // concurrent saves of the same user until that transaction commits.
    $transaction = $this->database->startTransaction();
    try {
      // The merge inserts a first row with queued_seq 1, or increments.
      $this->database->merge(self::TABLE)
        ->key('uid', $uid)
        ->insertFields([
          'uid' => $uid,
          'last_action' => '',
          'last_result' => LinkRecord::RESULT_PENDING,
          'created' => $now,
          'changed' => $now,
          'queued_seq' => 1,
          'done_seq' => 0,
        ])
        ->expression('queued_seq', '[queued_seq] + 1')
        ->execute();
      $seq = (int) $this->database->select(self::TABLE, 'l')
        ->fields('l', ['queued_seq'])
        ->condition('l.uid', $uid)
        ->execute()
        ->fetchField();
      $enqueue($seq);

      return $seq;
    }
    catch (\Throwable $e) {
      $transaction->rollBack();
      throw $e;
    }
  }

  public function markDone(int $uid, int $seq): void {
    $this->database->update(self::TABLE)
      ->fields(['done_seq' => $seq])
      ->condition('uid', $uid)
      ->condition('done_seq', $seq, '<')
      ->execute();
  }

}
