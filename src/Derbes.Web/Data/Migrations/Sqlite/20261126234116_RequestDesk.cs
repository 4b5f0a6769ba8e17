using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Derbes.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RequestDesk : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "EnteredBy",
                table: "CustomerRequests",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Identification",
                table: "CustomerRequests",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "PausedOn",
                table: "CustomerRequests",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "RequestEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RequestId = table.Column<long>(type: "INTEGER", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    Type = table.Column<int>(type: "INTEGER", nullable: false),
                    ActorId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Visible = table.Column<bool>(type: "INTEGER", nullable: false),
                    TextKey = table.Column<Guid>(type: "TEXT", nullable: false),
                    SealedText = table.Column<byte[]>(type: "BLOB", nullable: true),
                    AssigneeId = table.Column<Guid>(type: "TEXT", nullable: true),
                    FromKind = table.Column<int>(type: "INTEGER", nullable: true),
                    ToKind = table.Column<int>(type: "INTEGER", nullable: true),
                    DueBefore = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    DueAfter = table.Column<DateOnly>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RequestEvents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_RequestEvents_CustomerRequests_RequestId",
                        column: x => x.RequestId,
                        principalTable: "CustomerRequests",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_RequestEvents_RequestId_Id",
                table: "RequestEvents",
                columns: new[] { "RequestId", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RequestEvents");

            migrationBuilder.DropColumn(
                name: "EnteredBy",
                table: "CustomerRequests");

            migrationBuilder.DropColumn(
                name: "Identification",
                table: "CustomerRequests");

            migrationBuilder.DropColumn(
                name: "PausedOn",
                table: "CustomerRequests");
        }
    }
}
