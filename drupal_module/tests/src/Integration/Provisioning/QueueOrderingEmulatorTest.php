<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\Outcome;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\entra_provisioning\Provisioning\QueueItem;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * Per-user order of the queue against the REAL library and Graph emulator:
 * create -> update -> delete of one user are applied in that order even
 * when the create is throttled and requeued, and even when the queue
 * backend hands items out newest first.
 */
final class QueueOrderingEmulatorTest extends NativeTestCase {

  use ProvisioningTestTrait;

  /**
   * Position of the first log line matching $pattern, or -1.
   *
   * @param list<string> $calls
   */
  private static function position(array $calls, string $pattern): int {
    foreach ($calls as $i => $call) {
      if (preg_match($pattern, $call) === 1) {
        return $i;
      }
    }

    return -1;
  }

  /**
   * @return array<string, array{0: bool}>
   */
  public function backends(): array {
    return ['FIFO queue (database)' => [FALSE], 'newest-first queue (no FIFO guarantee)' => [TRUE]];
  }

  /**
   * @dataProvider backends
   */
  public function testCreateUpdateDeleteStayInOrderWhenTheCreateIsThrottled(bool $lifo): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, [
      'provisioning' => ['auto_create' => TRUE],
      'lifecycle' => ['on_cancel' => 'delete'],
      'mapping' => ['properties' => [['field' => 'field_job', 'property' => 'jobTitle']]],
    ]);
    $this->queue->lifo = $lifo;
    $emulator->addFault(['method' => 'POST', 'path_contains' => '/users', 'status' => 429, 'retry_after_s' => 4, 'count' => 1]);

    // Account created, then edited, then cancelled (kept, blocked).
    $this->users->add(10, 'ordered', 'ordered@example.com', ['field_job' => 'Intern']);
    $before = $this->users->users[10];
    $this->assertTrue($this->lifecycle->onInsert(10, 'ordered'));
    $this->users->users[10]['fields']['field_job'] = 'Engineer';
    $this->assertTrue($this->lifecycle->onUpdate(10, 'ordered', $before, $this->users->users[10]));
    $this->assertTrue($this->lifecycle->onCancel(10, 'ordered', 'user_cancel_block'));
    $this->assertSame([1, 2, 3], array_column($this->queue->data(), 'seq'));

    // First run: the create is throttled; the update and the delete wait.
    $stats = $this->runner->run(30.0);
    $this->assertSame(3, $stats['retry'], json_encode($stats) ?: '');
    $this->assertSame(3, $this->queue->count());
    $calls = $this->graphCalls($emulator);
    $this->assertSame(-1, self::position($calls, '/^(PATCH|DELETE) /'), 'nothing overtook the throttled create: ' . implode("\n", $calls));
    $this->assertSame(0, $this->links->load(10)->doneSeq);

    // Later runs, each after the delays asked for, until the queue is empty.
    for ($run = 0; $run < 6 && $this->queue->count() > 0; $run++) {
      $this->clock->advance(Provisioner::ORDER_DELAY + 1);
      $this->runner->run(30.0);
    }
    $this->assertSame(0, $this->queue->count(), 'every item finished');

    $calls = $this->graphCalls($emulator);
    $created = self::position($calls, '#^POST /v1\.0/users 201$#');
    // The update reads the user by id (then PATCHes what differs).
    $updated = self::position($calls, '#^GET /v1\.0/users/[0-9a-f-]+ 200$#');
    $deleted = self::position($calls, '#^DELETE /v1\.0/users/[^ ]+ 204$#');
    $this->assertGreaterThanOrEqual(0, $created, implode("\n", $calls));
    $this->assertGreaterThan($created, $updated, 'the update came after the create: ' . implode("\n", $calls));
    $this->assertGreaterThan($updated, $deleted, 'the delete came after the update: ' . implode("\n", $calls));
    $this->assertSame(-1, self::position(array_slice($calls, $deleted + 1), '/./'), 'nothing after the delete');
    // The create ran after the edit and sent the account as it was then,
    // so the update found nothing left to change: late items converge.
    $updates = array_values(array_filter($this->logger->records, static fn (array $r): bool => str_starts_with($r['message'], 'Entra ID update:')));
    $this->assertCount(1, $updates);
    $this->assertSame('unchanged', $updates[0]['context']['@action']);
    $entra = self::emulatorUsers($emulator);
    $this->assertSame([], array_filter($entra, static fn (array $u): bool => ($u['jobTitle'] ?? NULL) === 'Intern'), 'the stale value was never sent');

    $link = $this->links->load(10);
    $this->assertNotNull($link, 'the cancelled account still exists in Drupal');
    $this->assertFalse($link->isLinked(), 'unlinked after the Entra account was deleted');
    $this->assertSame('deleted', $link->lastAction);
    $this->assertSame(3, $link->doneSeq);
    $entra = $this->emulatorUsersNamed($emulator, 'ordered@contoso.onmicrosoft.com');
    $this->assertCount(1, $entra);
    $this->assertTrue($entra[0]['deleted'] ?? FALSE, 'soft-deleted in Entra ID');
  }

  public function testADeleteOfAnAccountGoneFromDrupalUsesTheObjectIdItCarries(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, ['lifecycle' => ['on_delete' => 'delete']]);
    $this->users->add(11, 'leaver');
    $created = $this->provisioner->provisionNow(11);
    $this->assertSame(Outcome::DONE, $created->status, $created->message);
    $entraId = (string) $created->result['id'];

    unset($this->users->users[11]);
    $this->assertTrue($this->lifecycle->onDelete(11, 'leaver'));
    $this->assertSame($entraId, $this->queue->data()[0]['entra_id']);
    $this->assertSame(1, $this->runner->run(10.0)['done']);
    $this->assertNull($this->links->load(11), 'the row of a deleted account goes with it');
    $this->assertContains('DELETE /v1.0/users/' . $entraId . ' 204', $this->graphCalls($emulator));
  }

  public function testAnItemDeliveredTwiceIsNotAppliedTwice(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $this->users->add(12, 'twice');
    $this->provisioner->provisionNow(12);
    $item = $this->provisioner->enqueue(QueueItem::OP_UPDATE, 12);
    $this->assertSame(Outcome::DONE, $this->provisioner->process($item)->status);
    $this->assertSame(1, $this->links->load(12)->doneSeq);
    $before = count($this->requestLog($emulator));
    $again = $this->provisioner->process($item);
    $this->assertSame(Outcome::DONE, $again->status);
    $this->assertStringContainsString('already processed', $again->message);
    $this->assertSame($before, count($this->requestLog($emulator)), 'no Graph call for a replayed item');
  }

  public function testALaterItemWaitsForAnEarlierOneAndStopsWaitingWhenThatOneWasLost(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $this->users->add(13, 'waiting');
    $this->provisioner->provisionNow(13);
    // Items 1 and 2 are queued; only 2 is processed.
    $this->provisioner->enqueue(QueueItem::OP_UPDATE, 13);
    $second = $this->provisioner->enqueue(QueueItem::OP_UPDATE, 13);
    $outcome = $this->provisioner->process($second);
    $this->assertSame(Outcome::RETRY, $outcome->status);
    $this->assertSame(Provisioner::ORDER_DELAY, $outcome->delaySeconds);
    $this->assertStringContainsString('waits for the earlier item 1', $outcome->message);

    // Item 1 vanished from the queue (e.g. "drush queue:delete"): after
    // the age at which it would have been given up, item 2 runs.
    $old = new QueueItem(QueueItem::OP_UPDATE, 13, $this->clock->getCurrentTime() - Provisioner::MAX_ITEM_AGE - 1, $second->seq);
    $this->assertSame(Outcome::DONE, $this->provisioner->process($old)->status);
    $this->assertSame(2, $this->links->load(13)->doneSeq);
    $this->assertTrue($this->logger->hasWarningThatContains('never finished'));
  }

  public function testUnorderedItemsOfAnOlderVersionStillRun(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    $this->users->add(14, 'legacy');
    $this->links->save(LinkRecord::pending(NULL, 14, 'provision', $this->clock->getCurrentTime()));
    $this->queue->push(['op' => 'provision', 'uid' => 14, 'enqueued_at' => $this->clock->getCurrentTime()]);
    $this->assertSame(1, $this->runner->run(10.0)['done']);
    $this->assertTrue($this->links->load(14)->isLinked());
  }

}
