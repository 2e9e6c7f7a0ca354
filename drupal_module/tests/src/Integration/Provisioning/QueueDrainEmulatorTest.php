<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\Outcome;
use Drupal\entra_provisioning\Provisioning\QueueItem;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * Batched queue drains against the REAL library and Graph emulator: queued
 * creates go to Graph in $batch requests, each item keeps its own outcome,
 * and a user's later item still runs after its create.
 */
final class QueueDrainEmulatorTest extends NativeTestCase {

  use ProvisioningTestTrait;

  /**
   * Top-level requests and sub-requests of $batch, as "METHOD path status".
   *
   * @return array{top: list<string>, inBatch: list<string>}
   */
  private function split(EmulatorProcess $emulator): array {
    $top = [];
    $inBatch = [];
    foreach ($this->requestLog($emulator) as $entry) {
      if (str_contains((string) ($entry['path'] ?? ''), '/oauth2/')) {
        continue;
      }
      $line = sprintf('%s %s %d', (string) $entry['method'], (string) $entry['path'], (int) ($entry['status'] ?? 0));
      if (empty($entry['in_batch'])) {
        $top[] = $line;
      }
      else {
        $inBatch[] = $line;
      }
    }

    return ['top' => $top, 'inBatch' => $inBatch];
  }

  public function testQueuedCreatesGoTogetherAndEachKeepsItsOwnOutcome(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, ['bulk' => ['chunk_size' => 50], 'mapping' => ['properties' => [['field' => 'field_job', 'property' => 'jobTitle']]]]);
    for ($uid = 100; $uid < 140; $uid++) {
      $this->users->add($uid, 'drain.' . $uid);
      $this->provisioner->enqueue(QueueItem::OP_PROVISION, $uid);
    }
    // Its name leaves no valid UPN: its own failure.
    $this->users->add(140, '@@ ??', 'bad@example.com');
    $this->provisioner->enqueue(QueueItem::OP_PROVISION, 140);
    // Adele exists in Entra already: a pending match, not a duplicate.
    $this->users->add(141, 'adele', 'adele@contoso.com');
    $this->provisioner->enqueue(QueueItem::OP_PROVISION, 141);
    // An edit of the first user, queued after its create.
    $this->users->users[100]['fields']['field_job'] = 'Engineer';
    $this->provisioner->enqueue(QueueItem::OP_UPDATE, 100);

    $stats = $this->runner->run(60.0, 100);
    $this->assertSame(['claimed' => 43, 'done' => 41, 'failed' => 1, 'review' => 1], array_intersect_key($stats, ['claimed' => 0, 'done' => 0, 'failed' => 0, 'review' => 0]), json_encode($stats) ?: '');
    $this->assertSame(0, $this->queue->count());

    $calls = $this->split($emulator);
    $this->assertSame([], preg_grep('#^POST /v1\.0/users #', $calls['top']), 'no create went alone: ' . implode("\n", $calls['top']));
    $this->assertCount(3, preg_grep('#^POST /v1\.0/\$batch 200$#', $calls['top']), '41 creates in batches of 20: ' . implode("\n", $calls['top']));
    $this->assertCount(40, preg_grep('#^POST /v1\.0/users 201$#', $calls['inBatch']), implode("\n", $calls['inBatch']));
    for ($uid = 100; $uid < 140; $uid++) {
      $link = $this->links->load($uid);
      $this->assertTrue($link !== NULL && $link->isLinked(), "uid $uid is linked");
      $this->assertSame(LinkRecord::PROVENANCE_CREATED, $link->provenance);
    }
    $this->assertSame(LinkRecord::RESULT_FAILED, $this->links->load(140)->lastResult);
    $this->assertFalse($this->links->load(141)->isLinked(), 'a stranger\'s account is not linked by its mail');
    $this->assertCount(1, $this->matcher->pending());

    // The update ran after the create it followed (it reads the user, and
    // finds the new title already there: the create sent the account as it
    // was when it ran).
    $update = array_search('GET /v1.0/users/' . $this->links->load(100)->entraId . ' 200', $calls['top'], TRUE);
    $lastBatch = max(array_keys(preg_grep('#^POST /v1\.0/\$batch#', $calls['top'])));
    $this->assertGreaterThan($lastBatch, $update, implode("\n", $calls['top']));
    $this->assertSame(2, $this->links->load(100)->doneSeq, 'create and update both done, in order');
    $this->assertSame('Engineer', $this->emulatorUsersNamed($emulator, 'drain.100@' . EmulatorProcess::DOMAIN)[0]['jobTitle'] ?? NULL);
  }

  public function testTheQueueWorkersItemDrainsTheCreatesAfterIt(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator);
    for ($uid = 200; $uid < 205; $uid++) {
      $this->users->add($uid, 'worker.' . $uid);
      $this->provisioner->enqueue(QueueItem::OP_PROVISION, $uid);
    }
    // As core's cron and "drush queue:run" do: claim one item, hand it over.
    $claimed = $this->queue->claim(60);
    $this->assertNotNull($claimed);
    $outcome = $this->runner->runWithFollowers(QueueItem::fromArray($claimed->data));
    $this->assertSame(Outcome::DONE, $outcome->status, $outcome->message);
    $this->assertSame(1, $this->queue->count(), 'only core\'s own item is left, for core to delete');
    for ($uid = 200; $uid < 205; $uid++) {
      $this->assertTrue($this->links->load($uid)->isLinked(), "uid $uid is linked");
    }
    $calls = $this->split($emulator);
    $this->assertSame(['POST /v1.0/$batch 200'], array_values(preg_grep('#^POST #', $calls['top'])));
  }

  public function testAGroupThatOnlyWaitsForEarlierItemsDoesNotEndTheRun(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, ['bulk' => ['chunk_size' => 1]]);
    // Newest first, groups of one: the update comes before the create it
    // must wait for.
    $this->queue->lifo = TRUE;
    $this->users->add(300, 'waits.for.create');
    $this->provisioner->enqueue(QueueItem::OP_PROVISION, 300);
    $this->provisioner->enqueue(QueueItem::OP_UPDATE, 300);

    $stats = $this->runner->run(30.0);
    $this->assertSame(2, $stats['claimed'], 'the run went on past the waiting update: ' . json_encode($stats));
    $this->assertSame(1, $stats['done']);
    $this->assertSame(1, $stats['retry']);
    $this->assertTrue($this->links->load(300)->isLinked());
  }

  public function testARunEndsAtAGroupGraphHandsBack(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, ['bulk' => ['chunk_size' => 2]]);
    // Graph asks for a wait longer than the run's budget: the group goes
    // back, and the run claims nothing more.
    $emulator->addFault(['method' => 'POST', 'path_contains' => '$batch', 'status' => 429, 'retry_after_s' => 30]);
    for ($uid = 310; $uid < 316; $uid++) {
      $this->users->add($uid, 'handed.back.' . $uid);
      $this->provisioner->enqueue(QueueItem::OP_PROVISION, $uid);
    }
    $stats = $this->runner->run(5.0);
    $this->assertSame(2, $stats['claimed'], json_encode($stats) ?: '');
    $this->assertSame(2, $stats['retry']);
    $this->assertSame(6, $this->queue->count());
  }

}
