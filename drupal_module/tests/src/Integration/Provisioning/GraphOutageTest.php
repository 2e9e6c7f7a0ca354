<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\Provisioner;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;
use Drupal\Tests\entra_provisioning\Integration\Provisioning\ProvisioningTestTrait;

/**
 * Graph down, then back: work queued through the PHP provisioning service
 * (Provisioner + QueueRunner over in-memory Drupal storage, the real library
 * and the emulator) survives an outage and then drains, every user ending in
 * Entra exactly once and linked exactly once.
 *
 * The outage has three phases, each over all queued users: every request
 * (token endpoint included) answers 503; every connection is reset; creates
 * are executed but their answers are lost (reset after commit), which is the
 * case that would make duplicates if a create were simply sent again.
 */
final class GraphOutageTest extends NativeTestCase {

  use ProvisioningTestTrait;

  private const USERS = 100;

  private const FIRST_UID = 1000;

  public function testQueuedWorkSurvivesAnOutageAndDrainsExactlyOnce(): void {
    $emulator = $this->startEmulator();
    $this->wire($emulator, ['provisioning' => ['auto_create' => TRUE]]);
    $expected = [];
    for ($i = 0; $i < self::USERS; $i++) {
      $uid = self::FIRST_UID + $i;
      $name = sprintf('outage.user%03d', $i);
      $this->users->add($uid, $name);
      $expected[$uid] = $name . '@' . EmulatorProcess::DOMAIN;
    }

    // Graph down: 503 on every request, the token endpoint included.
    $emulator->addFault(['status' => 503]);
    foreach ($expected as $uid => $upn) {
      $this->assertTrue($this->provisioner->onUserInsert($uid, (string) $this->users->users[$uid]['name']));
    }
    $this->assertSame(self::USERS, $this->queue->count());
    $this->assertNothingLost('every request answers 503', $this->runner->run(300.0, 10 * self::USERS), $emulator, 0);

    // Still down: every connection is reset without an answer.
    $emulator->clearFaults();
    $emulator->addFault(['reset' => TRUE]);
    $this->clock->advance(Provisioner::MAX_RETRY_DELAY + 1);
    $this->assertNothingLost('every connection is reset', $this->runner->run(300.0, 10 * self::USERS), $emulator, 0);

    // Half back: creates are executed, but every answer is lost. The queue
    // sends creates in $batch requests, and a reset loses the whole batch's
    // answer after its first create ran: the library looks for that user
    // before it sends the batch again, so some items may finish in this
    // phase; the others stay queued, and none is lost or doubled.
    $emulator->clearFaults();
    $emulator->addFault(['method' => 'POST', 'path_contains' => '/users', 'reset' => TRUE, 'after_commit' => TRUE]);
    $this->clock->advance(Provisioner::MAX_RETRY_DELAY + 1);
    $lostPhase = $this->runner->run(300.0, 10 * self::USERS);
    $this->assertNothingLost('creates succeed but their answers are lost', $lostPhase, $emulator, NULL, TRUE);
    $doneWhileLost = $lostPhase['done'];

    // Back: run the queue until it is empty.
    $emulator->clearFaults();
    $done = 0;
    for ($round = 0; $round < 10 && $this->queue->count() > 0; $round++) {
      $this->clock->advance(Provisioner::MAX_RETRY_DELAY + 1);
      $stats = $this->runner->run(300.0, 10 * self::USERS);
      $this->assertSame(0, $stats['failed'], 'after the outage: ' . json_encode($stats));
      $this->assertSame(0, $stats['blocked'], 'after the outage: ' . json_encode($stats));
      $done += $stats['done'];
    }
    $this->assertSame(0, $this->queue->count(), 'the queue drained');
    $this->assertSame(self::USERS, $done + $doneWhileLost, 'every item completed once');

    // Every user exactly once in Entra ...
    $inEntra = [];
    foreach (self::emulatorUsers($emulator) as $user) {
      if (!empty($user['deleted'])) {
        continue;
      }
      $upn = strtolower((string) $user['userPrincipalName']);
      if ($upn === 'adele@contoso.onmicrosoft.com') {
        continue;
      }
      $inEntra[$upn][] = (string) $user['id'];
    }
    $duplicates = array_filter($inEntra, static fn (array $ids): bool => count($ids) !== 1);
    $this->assertSame([], $duplicates, 'no user exists twice in Entra');
    $expectedUpns = array_map('strtolower', array_values($expected));
    sort($expectedUpns);
    $actualUpns = array_keys($inEntra);
    sort($actualUpns);
    $this->assertSame($expectedUpns, $actualUpns, 'the users in Entra are exactly the queued ones');

    // ... and linked exactly once, to that account.
    $this->assertCount(self::USERS, $this->links->records);
    $linkedIds = [];
    foreach ($expected as $uid => $upn) {
      $link = $this->links->load($uid);
      $this->assertNotNull($link, "uid $uid has a link record");
      $this->assertSame(LinkRecord::RESULT_OK, $link->lastResult, "uid $uid: " . json_encode($link->toArray()));
      $this->assertSame($inEntra[strtolower($upn)][0], $link->entraId, "uid $uid is linked to its Entra account");
      // Created during the lost-answers phase: the retry names the UPN
      // recorded before that create, and the library finds it.
      $this->assertSame('created', $link->lastAction, "uid $uid");
      $this->assertSame(LinkRecord::PROVENANCE_CREATED, $link->provenance, "uid $uid");
      $this->assertNull($link->attemptUpn, "uid $uid: the attempt is settled");
      $linkedIds[] = $link->entraId;
    }
    $this->assertCount(self::USERS, array_unique($linkedIds), 'no Entra account is linked twice');
    $this->assertFalse($this->logger->hasErrorRecords(), 'no error was logged: ' . json_encode(array_slice($this->logger->records, 0, 3)));
  }

  /**
   * Nothing was lost or given up: every item is still queued, every link
   * record pending, and Entra holds $inEntra of the users (null: any number).
   *
   * @param array<string, int> $stats
   */
  private function assertNothingLost(string $phase, array $stats, EmulatorProcess $emulator, ?int $inEntra, bool $someMayFinish = FALSE): void {
    $context = $phase . ': ' . json_encode($stats);
    $this->assertSame(self::USERS, $stats['claimed'], $context);
    $this->assertSame(0, $stats['failed'], $context);
    $this->assertSame(0, $stats['blocked'], $context);
    if ($someMayFinish) {
      $this->assertSame(self::USERS, $stats['retry'] + $stats['done'], $context);
      $this->assertGreaterThan(0, $stats['retry'], $context . ': the lost answers are retried');
    }
    else {
      $this->assertSame(self::USERS, $stats['retry'], $context);
      $this->assertSame(0, $stats['done'], $context);
    }
    $this->assertSame($stats['retry'], $this->queue->count(), $context . ': every item not done is still queued');
    foreach ($this->links->records as $uid => $link) {
      $expected = $link->lastResult === LinkRecord::RESULT_OK && $someMayFinish ? LinkRecord::RESULT_OK : LinkRecord::RESULT_PENDING;
      $this->assertSame($expected, $link->lastResult, $context . ": uid $uid");
    }
    $this->assertCount(self::USERS, $this->links->records, $context);
    if ($inEntra !== NULL) {
      $this->assertCount($inEntra + 1, self::emulatorUsers($emulator), sprintf('%s: %d of the users are in Entra (plus the seeded Adele)', $context, $inEntra));
    }
  }

}
